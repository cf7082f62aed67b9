import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  adapterCliBackend,
  expectCleanError,
  expectJsonError,
  ok,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

interface ReportDoc {
  report: {
    backtest_id: string;
    bars_evaluated: number;
    total: { trades: number };
    request: { fee_bps: number; risk_profile: string };
    lookahead: { sampled: number; differences: number; peeks: number } | null;
  };
}

/** `trader backtest` as a user runs it, on the demo's database (embedded: its database work is tested on both backends in-process). */
describe.each(adapterCliBackend)('trader backtest (%s)', (kind: CliBackend) => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind);
  }, 300_000);
  afterAll(async () => t?.dispose());

  const range = ['--symbols', 'BTC/USDT,ETH/USDT', '--from', '2024-03-01', '--to', '2024-03-15'];

  it('replays, prints one JSON document, stores it; show and list read it back; --out writes trades and curves', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bt-')), 'report.json');
    const r = await ok(
      t,
      'backtest',
      ...range,
      '--strategy',
      'breakout',
      '--check-lookahead',
      '10',
      '--out',
      out,
      '--json',
    );
    const doc = JSON.parse(r.stdout) as ReportDoc;
    expect(doc.report.bars_evaluated).toBe(2 * 14 * 24);
    expect(doc.report.request).toMatchObject({ fee_bps: 10, risk_profile: 'medium' });
    expect(doc.report.lookahead).toEqual({ sampled: 20, differences: 0, peeks: 0, findings: [] });
    expect(r.stderr).not.toMatch(/\[#/); // no progress bar without a terminal
    const written = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      trades: unknown[];
      curves: Record<string, { ts: number[] }>;
    };
    expect(written.trades).toHaveLength(doc.report.total.trades);
    expect(Object.keys(written.curves).sort()).toEqual(['*', 'BTC/USDT', 'ETH/USDT']);
    expect(written.curves['*']!.ts).toHaveLength(14 * 24);

    const shown = await ok(t, 'backtest', 'show', doc.report.backtest_id, '--trades', '3');
    expect(shown.stdout).toContain(`Backtest ${doc.report.backtest_id}`);
    expect(shown.stdout).toMatch(/^total\s+\d+\s/m);
    expect(shown.stdout).toContain(
      'Look-ahead check: 20 sampled decisions re-run on candles cut at their bar: 0 differences',
    );
    const list = await ok(t, 'backtest', 'list');
    expect(list.stdout).toMatch(/^id +created +symbols +timeframe +period +strategy +trades +return +max DD\n/);
    expect(list.stdout).toMatch(new RegExp(`^${doc.report.backtest_id} +\\d{4}-`, 'm'));
  });

  it('bad input: one sentence, exit 2, nothing stored', async () => {
    const before = (await ok(t, 'backtest', 'list', '--json')).stdout;
    expectCleanError(
      await runTrader(['backtest', '--symbols', 'BTC/USDT', '--from', '2024-03-01'], t.env),
      2,
      /Give --symbols, --from and --to/,
    );
    expectCleanError(
      await runTrader(['backtest', ...range.slice(0, 4), '--to', '2024-02-01'], t.env),
      2,
      /--to must be at least one 1h bar after --from/,
    );
    expectCleanError(
      await runTrader(['backtest', ...range, '--fee-bps', 'lots'], t.env),
      2,
      /--fee-bps must be a non-negative number, not 'lots'/,
    );
    expectCleanError(
      await runTrader(['backtest', ...range, '--risk-profile', 'yolo'], t.env),
      2,
      /--risk-profile must be low, medium or high/,
    );
    expectCleanError(
      await runTrader(['backtest', '--symbols', 'DOGE/USDT', '--from', '2024-03-01', '--to', '2024-03-02'], t.env),
      2,
      /No 1h candles for DOGE\/USDT on binance between .* import them with `trader data import/,
    );
    expectJsonError(
      await runTrader(['backtest', 'show', '00000000-0000-4000-8000-000000000000', '--json'], t.env),
      'NOT_FOUND',
    );
    expectCleanError(await runTrader(['backtest', 'show', 'nope'], t.env), 2, /'nope' is not a backtest id/);
    expect((await ok(t, 'backtest', 'list', '--json')).stdout).toBe(before);
  });
});
