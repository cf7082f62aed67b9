import type { BacktestTrade, EquityCurve } from '../../../backtest/backtest-types.ts';
import { html, raw } from 'hono/html';

/**
 * What a backtest's charts draw, shaped for the browser: the equity curve and its
 * drawdown (uPlot), one market's candles with each trade's entry, exit and stop
 * (lightweight-charts). Times are UTC seconds, as both libraries take them.
 */

/** Candles beyond this many are merged into coarser bars: a page stays light whatever the span. */
export const maxChartBars = 3000;

export interface Candles {
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export function equitySeries(c: EquityCurve): { t: number[]; equity: number[]; drawdown: number[] } {
  let peak = -Infinity;
  const drawdown = c.equity.map((e) => {
    peak = Math.max(peak, e);
    return peak > 0 ? Number(((e / peak - 1) * 100).toFixed(4)) : 0;
  });
  return { t: c.ts.map(seconds), equity: c.equity, drawdown };
}

/** Candles merged `step` at a time (open of the first, extremes, close of the last), and the bucket of a time. */
export function chartCandles(c: Candles): { bars: number[][]; bucketOf: (ms: number) => number } {
  const step = Math.max(1, Math.ceil(c.ts.length / maxChartBars));
  const bars: number[][] = [];
  for (let i = 0; i < c.ts.length; i += step) {
    const end = Math.min(i + step, c.ts.length);
    let high = -Infinity;
    let low = Infinity;
    for (let j = i; j < end; j++) {
      high = Math.max(high, c.high[j]!);
      low = Math.min(low, c.low[j]!);
    }
    bars.push([seconds(c.ts[i]!), c.open[i]!, high, low, c.close[end - 1]!]);
  }
  const starts = bars.map((b) => b[0]!);
  // A trade's time is drawn on the bar that holds it (markers sit on bars).
  const bucketOf = (ms: number) => {
    const s = seconds(ms);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo] ?? s;
  };
  return { bars, bucketOf };
}

export function tradeMarks(trades: readonly BacktestTrade[], bucketOf: (ms: number) => number) {
  return trades.map((t) => ({
    no: t.trade_no,
    side: t.side,
    entry_t: bucketOf(t.entry_ts),
    exit_t: bucketOf(t.exit_ts),
    entry: t.entry_price,
    exit: t.exit_price,
    stop: t.stop,
    reason: t.exit_reason,
    pnl: Number(t.pnl.toFixed(2)),
  }));
}

/**
 * Data for the page's script as a JSON block: not executed, so the CSP allows it; `<` is
 * escaped so no value can close the element.
 */
export const jsonBlock = (id: string, value: unknown) =>
  html`<script type="application/json" id="${id}">
    ${raw(JSON.stringify(value).replace(/</g, '\\u003c'))}
  </script>`;
