import fs from 'node:fs';
import path from 'node:path';
import { runBacktest } from '../backtest/run-backtest.ts';
import type { BacktestReport } from '../backtest/report-schema.ts';
import { editRiskProfile } from '../trading/risk-profiles.ts';
import { tradingScope } from '../trading/scope.ts';
import { type BenchDb, openSharedHistoryDb, sharedDataDir } from './fixtures.ts';
import { fmt, type Row } from './stats.ts';

/**
 * Figure 16 of `npm run bench` (alone: `npx tsx bench/cluster-only.ts`): the correlated-
 * cluster rule's evidence (issue 20, item 4). The default pipeline, one shared account,
 * backtested over six real 1h markets of ../shared/data on the same period twice: the
 * medium profile as shipped (rule off), then with the rule on at 1.5x the per-trade risk
 * (1.5% of equity per cluster, markets linked at a 30-day return correlation of 0.7 or
 * more). Return, drawdown, trades, the rule's refusals, and the replay rate of each.
 */

const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT', 'ADA/USDT'];
/** Three years all six series cover (the shared BNB series ends in December 2023). */
const from = new Date('2021-01-01T00:00:00Z');
const to = new Date('2024-01-01T00:00:00Z');
const cluster = { cluster_cap_pct: 1.5, cluster_min_correlation: 0.7, cluster_window_days: 30 };

/** Refusals in which the cluster rule took part (a refusal may give several rules' reasons). */
const clusterRefusals = (r: BacktestReport) =>
  r.gate_refusals.filter((g) => g.reason.includes('correlated cluster')).reduce((n, g) => n + g.count, 0);

async function backtest(b: BenchDb): Promise<BacktestReport> {
  const { report } = await runBacktest(b.db, {
    symbols,
    exchange: 'binance',
    timeframe: '1h',
    from,
    to,
    pipelineId: 'default',
    strategyId: null,
    initialEquity: 10_000,
    feeBps: 10,
    slippageBps: 5,
    historyBars: 500,
    riskProfile: 'medium',
    env: process.env,
  });
  return report;
}

function row(label: string, r: BacktestReport, kind: BenchDb['kind']): Row {
  return {
    figure: `16. ${symbols.length} markets 1h 2021-2023, cluster rule ${label}`,
    backend: kind === 'pglite' ? 'embedded' : 'postgres',
    median: `${fmt(r.total.total_return_pct, 1)} % return`,
    range: `max DD ${fmt(r.total.max_drawdown_pct, 1)} %`,
    reps: '1 backtest',
    notes: `${r.total.trades} trades, ${clusterRefusals(r)} refused by the cluster rule; ${r.halt ? `drawdown halt at ${r.halt.at.slice(0, 10)}` : 'no drawdown halt'}; replay ${r.bars_per_second} bars/s (${fmt(r.replay_ms / 1000, 1)} s)`,
  };
}

/** Null when ../shared/data is absent (a fresh clone). */
export async function measureClusterFigure(open: Set<BenchDb>): Promise<{ rows: Row[]; note: string } | null> {
  if (!fs.existsSync(path.join(sharedDataDir, 'market'))) return null;
  const b = await openSharedHistoryDb(symbols, 'bench');
  open.add(b);
  const off = await backtest(b);
  await editRiskProfile(b.db, tradingScope('TEST'), 'medium', cluster, { confirmed: false });
  const on = await backtest(b);
  return {
    rows: [row('off', off, b.kind), row('on (cap 1.5 %, r >= 0.7, 30 d)', on, b.kind)],
    note: `figure 16: default pipeline over ${symbols.join(', ')} 1h ${from.toISOString().slice(0, 10)}..${to.toISOString().slice(0, 10)}, medium profile (1 % per trade, 5 positions, category cap 3 %), 10 bps fees, 5 bps slippage, 10,000 USDT; the same replay with the rule on at a 1.5 % cluster cap: return ${fmt(off.total.total_return_pct, 1)} % -> ${fmt(on.total.total_return_pct, 1)} %, max drawdown ${fmt(off.total.max_drawdown_pct, 1)} % -> ${fmt(on.total.max_drawdown_pct, 1)} %; replay rate ${off.bars_per_second} bars/s off, ${on.bars_per_second} on (one run each; a gate check with the rule on measures one 30-day correlation per pair of the intent's and the open markets, about 50 us a pair)`,
  };
}
