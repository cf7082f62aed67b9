import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { openPgliteDb } from '../../store/pglite-db.ts';
import { spoilCandle, withOldCandles } from '../helpers/old-candles.ts';
import { malformedCases } from './malformed.ts';
import { SAMPLE_FIRST_TS, SAMPLE_LAST_TS, SAMPLE_ROWS, sampleFile } from './sample.ts';

const run = promisify(execFile);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-cli-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** Runs the real bin against an embedded database of its own; never throws on a non-zero exit. */
async function trader(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TRADER_HOME: home };
  delete env.DATABASE_URL;
  delete env.TRADER_DEBUG;
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(packageRoot, 'bin', 'trader.js'), ...args], {
      env,
      cwd: home,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('trader data (real bin, embedded database)', () => {
  it('imports a CSV as JSON, rejects a malformed one with exit 2 and one line, and lists coverage', async () => {
    expect((await trader('db', 'migrate')).code).toBe(0);

    const ok = await trader('data', 'import', sampleFile, '--symbol', 'BTC/USDT', '--timeframe', '1h', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({
      ok: true,
      file: sampleFile,
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      rows: SAMPLE_ROWS,
      inserted_or_updated: SAMPLE_ROWS,
      first_ts: SAMPLE_FIRST_TS,
      last_ts: SAMPLE_LAST_TS,
    });

    const bad = path.join(home, 'btc.csv');
    const [, text, message] = malformedCases.find(([name]) => name === 'high below low')!;
    fs.writeFileSync(bad, text);
    const rejected = await trader('data', 'import', bad, '--symbol', 'ETH/USDT', '--timeframe', '1h');
    expect(rejected.code).toBe(2);
    expect(rejected.stdout).toBe('');
    const lines = rejected.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^trader: ${message.source.slice(1)}`));
    expect(rejected.stderr).not.toMatch(/^\s+at /m);

    const list = await trader('data', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({
      ok: true,
      coverage: [
        {
          exchange: 'binance',
          symbol: 'BTC/USDT',
          timeframe: '1h',
          first_ts: SAMPLE_FIRST_TS,
          last_ts: SAMPLE_LAST_TS,
          rows: SAMPLE_ROWS,
        },
      ],
    });
  });

  it('data check lists a bad row kept from before the checks (exit 1), --fix asks, then removes it (exit 0)', async () => {
    const db = await openPgliteDb({ dataDir: path.join(home, 'pgdata') });
    try {
      await withOldCandles(db, (q) =>
        spoilCandle(q, { symbol: 'BTC/USDT', ts: SAMPLE_FIRST_TS + 5 * 3_600_000 }, { volume: 'Infinity' }),
      );
    } finally {
      await db.close();
    }
    const found = await trader('data', 'check');
    expect(found.code).toBe(1);
    expect(found.stdout.trimEnd().split('\n')).toEqual([
      `checked ${SAMPLE_ROWS} candles in 1 market(s): 1 bad or off-grid candle(s).`,
      'binance BTC/USDT 1h: 1',
      '  2024-01-01T05:00:00.000Z  o 42399.98 h 42406 l 42180.77 c 42234.01 v Infinity: volume Infinity is not a finite number',
      'Remove them with `trader data check --fix` (asks first), then import or fetch those candles again.',
    ]);
    expect(JSON.parse((await trader('data', 'check', '--symbols', 'ETH/USDT', '--json')).stdout)).toMatchObject({
      ok: true,
      bad: 0,
      checked: { markets: 0, candles: 0 },
    });

    const unasked = await trader('data', 'check', '--fix');
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toBe('trader: This change needs confirmation; run it in a terminal or add --yes.\n');
    const fixed = await trader('data', 'check', '--fix', '--yes', '--json');
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ ok: true, bad: 1, removed: 1 });
    expect((await trader('data', 'check')).stdout).toBe(
      `checked ${SAMPLE_ROWS - 1} candles in 1 market(s): no bad or off-grid candles.\n`,
    );
  });

  it('treats a missing required option as bad input (exit 2)', async () => {
    const r = await trader('data', 'import', sampleFile, '--timeframe', '1h');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--symbol <symbol>' not specified/);
  });
});
