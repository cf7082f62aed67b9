import type { z } from 'zod';
import { decideBar, type BarInputs } from '../backtest/decide-bar.ts';
import { asOfCandles, fixedCandles } from '../orchestrator/run/as-of-view.ts';
import { cachedIndicators } from '../orchestrator/run/indicator-cache.ts';
import { runSymbol } from '../orchestrator/run/symbol-runner.ts';
import { sendMarkets } from '../backtest/replay.ts';
import type { ReplaySymbol } from '../backtest/replay.ts';
import { planRef } from '../sandbox/refs.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import type { CandleSeries, Instrument, RunInfo } from '../sdk/context-schemas.ts';
import type { Db } from '../store/db.ts';
import { benchAccount, benchCosts } from './fixtures.ts';
import { benchPass } from './overhead.ts';
import { fmt, median, type Row, spread } from './stats.ts';

/**
 * Figure 9, the cost of the module sandbox: the same work in-process and through the
 * worker, on figure 1's plan and context. A symbol's pass and a backtest bar each cross
 * the thread boundary once (one message there, one back); the round trip of an empty
 * message shows what one message per module call would have cost instead.
 */

type Series = z.infer<typeof CandleSeries>;
const plain = (c: Series): Series => ({
  ...c,
  ts: [...c.ts],
  open: [...c.open],
  high: [...c.high],
  low: [...c.low],
  close: [...c.close],
  volume: [...c.volume],
});

async function timed(n: number, f: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

export async function measureSandboxCost(
  db: Db,
  o: { passes: number; barsFrom: number; reps: number; pipelineId?: string; env?: NodeJS.ProcessEnv },
): Promise<Row[]> {
  const { plan, symbol, initial } = await benchPass(db, o.pipelineId, o.env);
  const sdk = { indicators: cachedIndicators };
  const rows: Row[] = [];

  const cold: number[] = [];
  for (let i = 0; i < o.reps; i++) {
    const s = new Sandbox();
    const t0 = performance.now();
    await s.request({ op: 'symbol', plan: planRef(plan), symbol, values: initial as never });
    cold.push(performance.now() - t0);
    await s.close();
  }
  rows.push({
    figure: '9. sandbox: worker start + first pass',
    backend: 'in-process',
    median: `${fmt(median(cold), 0)} ms`,
    range: spread(cold, 0),
    reps: `${o.reps} new workers`,
    notes: 'paid once per run, backtest or gate (and again after a runaway module); target < 1500 ms',
  });

  const sandbox = new Sandbox();
  try {
    const pass = () => sandbox.request({ op: 'symbol', plan: planRef(plan), symbol, values: initial as never });
    await timed(30, pass);
    // Fresh candles per pass, as every symbol of a run has (the worker gets a copy each time): no indicator cache hits.
    const fresh = () => ({ ...initial, candles: fixedCandles(plain(initial.candles as Series)) });
    const direct = await timed(o.passes, () => runSymbol(plan, symbol, fresh(), sdk));
    const isolated = await timed(o.passes, pass);
    const extra = median(isolated) - median(direct);
    rows.push({
      figure: '9. sandbox: one symbol pass',
      backend: 'in-process',
      median: `${fmt(median(isolated), 0)} µs`,
      range: spread(isolated, 0),
      reps: `${o.passes} passes of ${plan.slots.length} modules`,
      notes: `in-process ${fmt(median(direct), 0)} µs (${spread(direct, 0)}): isolation adds ${fmt(extra, 0)} µs per symbol (${fmt(extra / plan.slots.length, 1)} µs per module call); target < 1000 µs per symbol`,
    });
    const trip = await timed(o.passes, () => sandbox.request({ op: 'replay_end' }));
    rows.push({
      figure: '9. sandbox: empty message round trip',
      backend: 'in-process',
      median: `${fmt(median(trip), 0)} µs`,
      range: spread(trip, 0),
      reps: `${o.passes} round trips`,
      notes: `a message per module call would add ~${fmt(median(trip) * plan.slots.length, 0)} µs per pass of ${plan.slots.length} modules; one message per pass (or bar) is why it does not`,
    });

    // A backtest's bars: the worker holds the candles; a bar sends only the inputs that change.
    const full = plain(initial.candles as Series);
    const n = full.ts.length;
    const inputs = (k: number): Omit<BarInputs, 'candles' | 'flaws'> => ({
      run: { ...(initial.run as z.infer<typeof RunInfo>), as_of: new Date(full.ts[k]! + 3_600_000).toISOString() },
      instrument: initial.instrument as z.infer<typeof Instrument>,
      macro: null,
      account: benchAccount,
      maxRiskPct: 1,
      maxLeverage: 1,
      costs: benchCosts,
      historyBars: 500,
      minBars: 100,
      timeframeMs: 3_600_000,
    });
    const bars = n - o.barsFrom;
    const directBars: number[] = [];
    const isolatedBars: number[] = [];
    for (let r = 0; r < o.reps; r++) {
      const cursor = asOfCandles(full, 0, 0);
      let t0 = performance.now();
      for (let k = o.barsFrom; k < n; k++) {
        cursor.advanceTo(k + 1);
        decideBar(plan, { ...inputs(k), candles: cursor.view });
      }
      directBars.push(((performance.now() - t0) * 1000) / bars);
      const market = { plan, full } as unknown as ReplaySymbol;
      await sendMarkets(sandbox, [market], 3_600_000);
      t0 = performance.now();
      for (let k = o.barsFrom; k < n; k++) await sandbox.request({ op: 'bar', index: 0, k, inputs: inputs(k) });
      isolatedBars.push(((performance.now() - t0) * 1000) / bars);
    }
    const barExtra = median(isolatedBars) - median(directBars);
    rows.push({
      figure: '9. sandbox: one backtest bar',
      backend: 'in-process',
      median: `${fmt(median(isolatedBars), 1)} µs`,
      range: spread(isolatedBars, 1),
      reps: `${o.reps} x ${bars} bars`,
      notes: `in-process ${fmt(median(directBars), 1)} µs/bar (${spread(directBars, 1)}): isolation adds ${fmt(barExtra, 1)} µs per bar; target < 100 µs per bar`,
    });
  } finally {
    await sandbox.close();
  }
  return rows;
}
