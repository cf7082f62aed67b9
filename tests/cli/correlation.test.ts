import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlationWarning } from '../../analysis/correlation-ranking.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { importQ1 } from '../analysis/q1-sample.ts';
import { adapterCliBackend, type CliBackend, migratedTarget, ok, type Target } from '../helpers/cli.ts';

/**
 * `trader correlation run|show` and `schedule add --job correlation` through the real bin
 * (the analysis itself is tested in-process on both backends, tests/analysis/): the summary,
 * the ranked table under its named columns, and the seed's warning, in text and in --json.
 */

describe.each(adapterCliBackend)('trader correlation (%s)', (kind: CliBackend) => {
  let t: Target;
  beforeAll(async () => {
    t = await migratedTarget(kind);
    const db = await openPostgresDb(t.url!);
    try {
      await importQ1(db);
    } finally {
      await db.close();
    }
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('run analyses the quarter on demand while the scheduled analysis is off, and prints the ranking', async () => {
    const r = await ok(
      t,
      'correlation',
      'run',
      '--from',
      '2024-01-01',
      '--to',
      '2024-04-01',
      '--alts',
      'SOL/USDT,XRP/USDT,ADA/USDT',
    );
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'analysed 2024-01-01T00:00:00.000Z .. 2024-04-01T00:00:00.000Z (binance 1h, lead BTC/USDT,ETH/USDT, altcoins SOL/USDT,XRP/USDT,ADA/USDT, moves over 2 %, delay 1 bar)',
    );
    expect(lines[1]).toMatch(
      /^69 lead moves, 207 events stored, 0 skipped for a missing altcoin candle; run [0-9a-f-]{36}$/,
    );
    expect(lines.at(-1)).toBe(correlationWarning);
  });

  it('show prints the ranked table with its columns and the warning; --json carries the warning too', async () => {
    const text = (await ok(t, 'correlation', 'show', '--top', '3')).stdout.trimEnd().split('\n');
    expect(text[0]).toBe(
      'Lead-coin correlation, binance 1h (top 3 of 6 pairs); scheduled analysis: off (enable_correlation_analysis is false; `trader correlation run` still works)',
    );
    expect(text[1]).toMatch(
      /^#\s+pair\s+avg efficiency\s+std-dev \(consistency\)\s+hits\s+events\s+avg eff\. delayed\s+last event$/,
    );
    expect(text.slice(2, 5).map((l) => l.split(/\s{2,}/).slice(0, 6))).toEqual([
      ['1', 'ADA/USDT / BTC/USDT', '1.14', '0.67', '30', '31'],
      ['2', 'SOL/USDT / BTC/USDT', '1.07', '0.77', '28', '31'],
      ['3', 'ADA/USDT / ETH/USDT', '1.07', '0.41', '38', '38'],
    ]);
    expect(text.slice(5)).toEqual([
      '',
      'High efficiency often indicates extreme volatility and risk. This data is informational only and NOT a trade recommendation. DYOR.',
    ]);

    const doc = JSON.parse((await ok(t, 'correlation', 'show', '--base', 'ETH/USDT', '--json')).stdout) as {
      ok: boolean;
      warning: string;
      pairs: { base_coin: string; altcoin: string; events: number; hits: number }[];
    };
    expect(doc.ok).toBe(true);
    expect(doc.warning).toBe(correlationWarning);
    expect(doc.pairs.map((p) => `${p.altcoin} ${p.events} ${p.hits}`)).toEqual([
      'ADA/USDT 38 38',
      'SOL/USDT 38 36',
      'XRP/USDT 38 37',
    ]);
  });

  it('schedule add --job correlation stores a schedule without symbols', async () => {
    const r = await ok(t, 'schedule', 'add', '5 * * * *', '--job', 'correlation', '--name', 'hourly-correlation');
    expect(r.stdout).toMatch(
      /^added schedule \d+ \(hourly-correlation\): '5 \* \* \* \*' in UTC \(TEST\), runs lead-coin correlation analysis \(when enable_correlation_analysis is true\)\n/,
    );
  });
});
