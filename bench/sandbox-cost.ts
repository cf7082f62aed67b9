import type { z } from 'zod';
import { fixedCandles } from '../engine/run/as-of-view.ts';
import { cachedIndicators } from '../engine/run/indicator-cache.ts';
import { runSymbol } from '../engine/run/symbol-runner.ts';
import { planRef } from '../sandbox/refs.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';
import type { Db } from '../store/db.ts';
import { benchPass } from './overhead.ts';
import { fmt, median, type Row, spread } from './stats.ts';

/**
 * Figure 9, the cost of the module sandbox: the same work in-process and through the
 * worker, on figure 1's plan and context. A symbol's pass crosses the thread boundary
 * once (one message there, one back); a backtest crosses it once for the whole replay,
 * which runs in the worker (backtest/replay-loop.ts), so its bars pay nothing.
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
  } finally {
    await sandbox.close();
  }
  return rows;
}
