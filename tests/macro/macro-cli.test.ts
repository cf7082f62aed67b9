import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cliBackends,
  expectCleanError,
  expectJsonError,
  migratedTarget,
  ok,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { MACRO_ROWS, macroSampleFile, row } from './sample-macro.ts';

/** `trader macro ...` through the real bin, on an embedded database and on Postgres. */

let server: http.Server;
let coingecko: string;
let status = 200;
const updatedAt = 1709287200; // 2024-03-01T10:00:00Z
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-macro-cli-'));
  server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      status === 200
        ? JSON.stringify({
            data: {
              total_market_cap: { usd: 2.4e12 },
              market_cap_percentage: { btc: 51, usdt: 4, eth: 17 },
              updated_at: updatedAt,
            },
          })
        : 'down',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  coingecko = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe.each(cliBackends)('trader macro on %s', (kind) => {
  let t: Target;
  afterEach(async () => t?.dispose());

  it(
    'imports, shows as of a time, fetches a snapshot, and refuses bad input in one line',
    { timeout: 150_000 },
    async () => {
      t = await migratedTarget(kind);
      const imported = JSON.parse(
        (await ok(t, 'macro', 'import', macroSampleFile, '--source', 'coingecko_csv', '--json')).stdout,
      );
      expect(imported).toMatchObject({
        ok: true,
        source: 'coingecko_csv',
        rows: MACRO_ROWS,
        points_written: 4 * MACRO_ROWS,
      });

      const shown = JSON.parse((await ok(t, 'macro', 'show', '--as-of', '2024-03-01T12:00:00Z', '--json')).stdout);
      const d = row('2024-02-29');
      expect(shown.macro).toMatchObject({
        source: 'coingecko_csv',
        as_of: '2024-02-29T00:00:00.000Z',
        total_mcap_usd: d.total,
      });
      expect(shown.macro.btc_d).toBeCloseTo((100 * d.btc) / d.total, 10);
      expect(Object.keys(shown.macro.trends.usdt_d)).toEqual(['7d', '30d']);
      const human = (await ok(t, 'macro', 'show', '--as-of', '2024-03-01T12:00:00Z', '--lookbacks', '7')).stdout;
      expect(human).toMatch(/^Macro from coingecko_csv as of 2024-02-29T00:00:00.000Z/);
      expect(human).toMatch(/btc_d\s+\d+\.\d{3}%\s+[+-]\d+\.\d{2}% (rising|falling|flat)/);

      const env = { ...t.env, TRADER_COINGECKO_URL: coingecko };
      status = 200;
      const fetched = await runTrader(['macro', 'fetch', '--json'], env);
      expect(fetched.code, fetched.stderr).toBe(0);
      expect(JSON.parse(fetched.stdout)).toMatchObject({
        ok: true,
        updated_at: '2024-03-01T10:00:00.000Z',
        points_written: 4,
      });
      status = 500;
      expectCleanError(
        await runTrader(['macro', 'fetch'], env),
        1,
        /CoinGecko at http:\/\/127\.0\.0\.1:\d+ answered HTTP 500/,
      );
      expectJsonError(await runTrader(['macro', 'fetch', '--json'], env), 'TRANSIENT');
      const live = JSON.parse((await ok(t, 'macro', 'show', '--as-of', '2024-03-01T10:00:00Z', '--json')).stdout);
      expect(live.macro).toMatchObject({ source: 'coingecko_global', btc_d: 51, eth_d: 17, alts_ex_eth_d: 28 });

      const bad = path.join(tmp, `${kind}.csv`);
      fs.writeFileSync(bad, 'timestamp,total_mcap_usd\n1,2\n');
      expectCleanError(await runTrader(['macro', 'import', bad], t.env), 2, /line 1: the header must be/);
      expectCleanError(
        await runTrader(['macro', 'show', '--as-of', 'yesterday'], t.env),
        2,
        /--as-of 'yesterday' is not a UTC time/,
      );
    },
  );
});

describe('trader macro --help', () => {
  it.each(['import', 'fetch', 'show'])('%s has an example', async (sub) => {
    const r = await runTrader(['macro', sub, '--help'], { ...process.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Example:\\n  \\$ trader macro ${sub}`));
  });
});
