import type { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import { RunInfo, type CandleSeries, type Instrument } from '../sdk/context-schemas.ts';
import { stepFromPrecision } from '../sdk/indicators.ts';
import type { Macro } from '../sdk/macro-schema.ts';
import { costRates, exitOrderSide, slippedPrice, type PaperCosts } from '../trading/paper/fill-model.ts';
import type { PriceCandle } from '../trading/paper/candle-exits.ts';
import type { HaltAction, RiskProfile } from '../trading/state-repo.ts';
import { timeStopDue } from '../trading/exit-rules.ts';

import type { BacktestTrade, EquityCurve } from './backtest-types.ts';
import { exitsForBar } from './bar-exits.ts';
import { keysRead, type BarDecision, type BarInputs } from './decide-bar.ts';
import { ReplayCorrelations } from './cluster-correlations.ts';
import { freeCash, gateIntent } from './gate-intent.ts';
import { ReplayTally } from './replay-tally.ts';
import { SimAccount, type PendingEntry } from './sim-account.ts';

/**
 * The replay loop, one bar at a time across all markets, on a simulated clock. It runs
 * in the sandbox's worker thread next to the modules, so a bar costs no message between
 * threads: the loop and the pipeline share one heap. At each bar: fill what was decided
 * at the previous close (at this bar's open), apply stops and targets inside the bar,
 * mark to market at the close, check the drawdown halt, then decide at the close with
 * candles up to it, exactly as a live run at that time would.
 */

/** The replay's settings: plain data, sent to the worker once. */
export interface ReplaySettings {
  run: Omit<z.infer<typeof RunInfo>, 'as_of' | 'strategy_id'>;
  profile: RiskProfile;
  leverage: number;
  haltAction: HaltAction;
  costs: PaperCosts;
  initialEquity: number;
  timeframeMs: number;
  historyBars: number;
  minBars: number;
}

/** One market as the loop sees it: its plan (loaded in the worker), candles, where deciding starts. */
export interface LoopMarket {
  plan: Plan;
  instrument: z.infer<typeof Instrument>;
  full: z.infer<typeof CandleSeries>;
  firstDecision: number;
  /** Why the decision at bar k is blocked by corrupt rows a live run would load (corrupt-candles.ts). */
  blocked: ReadonlyMap<number, string> | null;
  /** Bars whose decision inputs are kept for the lookahead check. */
  record: ReadonlySet<number>;
}

/** A decision kept for the lookahead check: its inputs (without candles) and what it decided. */
export interface RecordedBar {
  symbolIndex: number;
  barIndex: number;
  inputs: BarInputs;
  fingerprint: string;
}

/** What the loop needs from its host: the bar's decision, finer candles, progress. */
export interface LoopPorts {
  decide(index: number, k: number, inputs: BarInputs, fingerprint: boolean): BarDecision;
  finer(index: number, barTs: number): Promise<PriceCandle[] | null>;
  macroAt: ((asOf: Date) => Macro | null) | null;
  progress(done: number, total: number): void;
}

/** The replay's result, plain data: what crosses back to the main thread. */
export interface ReplayOutcome {
  tally: Omit<ReplayTally, 'decision' | 'refused' | 'skipped' | 'sameBar'>;
  trades: BacktestTrade[];
  /** Cash at the end, every position closed. */
  cash: number;
  curve: EquityCurve;
  /** Per market, in order: its own curve and the bars it held a position. */
  markets: { curve: EquityCurve; exposed: number }[];
  recorded: RecordedBar[];
}

interface Market extends LoopMarket {
  index: number;
  next: number;
  pendingEntry: PendingEntry | null;
  pendingExits: Set<number>;
  curve: EquityCurve;
  exposed: number;
}

const symbolOf = (m: Market) => m.instrument.symbol;
/** The market's amount step, 0 when its precision is unknown (a fill cut to the wallet is then not rounded). */
const amountStepOf = (i: z.infer<typeof Instrument>) =>
  i.amount_precision === null ? 0 : stepFromPrecision(i.amount_precision);
/** Entries decided at this close and not filled yet, one slot per market. */
const pendingEntries = (markets: readonly Market[]) => markets.map((x) => x.pendingEntry);

/**
 * One market's bar, in time order: exit requests and the entry decided at the previous
 * close fill at this bar's open (an entry whose open already gapped beyond its stop is
 * skipped), then the bar's high and low trigger stops and targets, with the exit plan's rules
 * as the paper monitor applies them: the stop moved to breakeven before the bar, the time
 * stop closing at the bar's close.
 */
async function playBar(
  account: SimAccount,
  m: Market,
  tally: ReplayTally,
  o: { slippage: number; tf: number; finer: LoopPorts['finer'] },
  lastClose: Map<string, number>,
): Promise<void> {
  const { slippage, tf } = o;
  const k = m.next;
  const t = m.full.ts[k]!;
  const bar = { ts: t, open: m.full.open[k]!, high: m.full.high[k]!, low: m.full.low[k]!, close: m.full.close[k]! };
  for (const pos of account.open.filter((p) => m.pendingExits.has(p.id))) {
    account.exit(pos, 'exit_request', pos.open_qty, slippedPrice(exitOrderSide(pos.side), bar.open, slippage), t, k);
  }
  m.pendingExits.clear();
  const order = m.pendingEntry;
  m.pendingEntry = null;
  if (order) {
    const gapped = order.side === 'buy' ? bar.open <= order.stop : bar.open >= order.stop;
    const opened = gapped
      ? { refused: `the next open ${bar.open} is already beyond the stop ${order.stop}` }
      : account.openAt(order, bar.open, t, k, amountStepOf(m.instrument));
    if ('refused' in opened) tally.skipped(symbolOf(m), opened.refused);
  }
  for (const pos of account.open.filter((p) => p.order.symbol === symbolOf(m))) {
    account.moveStopToBreakeven(pos);
    const { exits, resolved } = await exitsForBar(SimAccount.ruled(pos), bar, slippage, () => o.finer(m.index, t));
    if (resolved !== 'bar') tally.sameBar(resolved);
    for (const e of exits) if (pos.open_qty > 0) account.exit(pos, e.kind, e.qty, e.price, e.ts, k, e.rung);
    if (pos.open_qty > 0 && timeStopDue(SimAccount.ruled(pos), { openedMs: pos.opened_ts, barOpenMs: t, stepMs: tf }))
      account.exit(
        pos,
        'time_stop',
        pos.open_qty,
        slippedPrice(exitOrderSide(pos.side), bar.close, slippage),
        t + tf,
        k,
      );
  }
  lastClose.set(symbolOf(m), bar.close);
}

/** The market's own curve: initial equity plus its net realised and unrealised P&L. */
function recordSymbolPoint(
  account: SimAccount,
  m: Market,
  closeTs: number,
  initial: number,
  lastClose: ReadonlyMap<string, number>,
): void {
  let unrealized = 0;
  let exposed = false;
  for (const p of account.open) {
    if (p.order.symbol !== symbolOf(m)) continue;
    unrealized += SimAccount.unrealized(p, lastClose.get(symbolOf(m))!);
    exposed = true;
  }
  if (exposed) m.exposed++;
  m.curve.ts.push(closeTs);
  m.curve.equity.push(initial + (account.realizedBySymbol.get(symbolOf(m)) ?? 0) + unrealized);
}

/** A module wrote into its read-only view: every later decision would rest on altered candles. */
export function viewWritten(symbol: string, when: string, what: string): TraderError {
  return new TraderError(
    'MODULE_FAILED',
    `A module of the plan wrote into its read-only view of ${symbol}: the candles or an indicator shared between modules (found at ${when}: ${what}); the backtest stopped because its results would be wrong. Modules must treat their view as read-only (a live run refuses the write and the module fails); \`trader pipeline validate\` lists the plan's modules.`,
  );
}

/** Bar open times of all markets together, oldest first, from each market's first decision bar. */
function timeline(markets: Market[]): number[] {
  const all = new Set<number>();
  for (const m of markets) for (let i = m.firstDecision; i < m.full.ts.length; i++) all.add(m.full.ts[i]!);
  return [...all].sort((a, b) => a - b);
}

export async function replayLoop(
  setup: ReplaySettings,
  loopMarkets: readonly LoopMarket[],
  ports: LoopPorts,
): Promise<ReplayOutcome> {
  const markets: Market[] = loopMarkets.map((s, index) => ({
    ...s,
    index,
    next: s.firstDecision,
    pendingEntry: null,
    pendingExits: new Set(),
    curve: { ts: [], equity: [] },
    exposed: 0,
  }));
  // A bar's run value differs from this only in as_of, which toISOString always writes validly.
  for (const m of markets)
    RunInfo.parse({ ...setup.run, strategy_id: m.plan.strategy_id, as_of: new Date(0).toISOString() });
  const account = new SimAccount(setup.initialEquity, setup.costs);
  const tally = new ReplayTally();
  const curve: EquityCurve = { ts: [], equity: [] };
  const recorded: RecordedBar[] = [];
  const lastClose = new Map<string, number>();
  const times = timeline(markets);
  const { timeframeMs: tf, costs } = setup;
  const rates = costRates(costs);
  let peak = setup.initialEquity;
  let halted = false;
  const needsMacro = markets.some((m) => keysRead(m.plan).has('macro'));
  const correlations = ReplayCorrelations.forReplay(
    markets.map((m) => ({ symbol: symbolOf(m), full: m.full })),
    setup.profile,
    tf,
  );

  for (const [step, t] of times.entries()) {
    const active = markets.filter((m) => m.full.ts[m.next] === t);
    for (const m of active)
      await playBar(account, m, tally, { slippage: costs.slippage, tf, finer: ports.finer }, lastClose);
    const closeTs = t + tf;
    const equity = account.equity(lastClose);
    peak = Math.max(peak, equity);
    const drawdownPct = peak > 0 ? ((peak - equity) / peak) * 100 : 0;
    curve.ts.push(closeTs);
    curve.equity.push(equity);
    if (account.open.length > 0) tally.exposedBars++;
    for (const m of markets) recordSymbolPoint(account, m, closeTs, setup.initialEquity, lastClose);
    if (!halted && drawdownPct > setup.profile.max_drawdown_pct) {
      halted = true;
      tally.halt = { at: closeTs, drawdown_pct: drawdownPct, action: setup.haltAction };
      for (const m of markets) m.pendingEntry = null;
      if (setup.haltAction === 'MARKET_CLOSE_ALL_AND_HALT') {
        for (const pos of [...account.open]) {
          const k = markets.find((m) => symbolOf(m) === pos.order.symbol)!.next;
          account.exit(
            pos,
            'emergency_close',
            pos.open_qty,
            slippedPrice(exitOrderSide(pos.side), lastClose.get(pos.order.symbol)!, costs.slippage),
            closeTs,
            k,
          );
        }
        curve.equity[curve.equity.length - 1] = account.equity(lastClose);
      }
    }

    const asOf = new Date(closeTs);
    const as_of = asOf.toISOString();
    const macro = needsMacro && ports.macroAt ? ports.macroAt(asOf) : null;
    for (const m of active) {
      const k = m.next++;
      const equityNow = account.equity(lastClose);
      const inputs: BarInputs = {
        run: { ...setup.run, strategy_id: m.plan.strategy_id, as_of },
        instrument: m.instrument,
        macro,
        account: {
          equity: equityNow,
          free_balance: freeCash(account, pendingEntries(markets), costs),
          positions: account.positionsView(symbolOf(m)),
        },
        maxRiskPct: setup.profile.risk_per_trade_pct,
        maxLeverage: setup.leverage,
        costs: rates,
        historyBars: setup.historyBars,
        minBars: setup.minBars,
        timeframeMs: tf,
        blocked: m.blocked?.get(k) ?? null,
      };
      const keep = m.record.has(k);
      const d = ports.decide(m.index, k, inputs, keep);
      tally.decision(symbolOf(m), d);
      if (keep) recorded.push({ symbolIndex: m.index, barIndex: k, inputs, fingerprint: d.fingerprint! });
      // An exit fills at the next open of the position's own market (a module may ask to close any open position).
      for (const x of d.exits) {
        const pos = account.open.find((p) => p.id === x.position_id);
        if (pos) markets.find((o) => symbolOf(o) === pos.order.symbol)!.pendingExits.add(pos.id);
      }
      for (const intent of d.outcome.intents) {
        const verdict = gateIntent({
          intent,
          category: m.instrument.category,
          profile: setup.profile,
          halted,
          leverage: setup.leverage,
          drawdownPct,
          equity: equityNow,
          account,
          pending: pendingEntries(markets),
          costs,
          correlations,
          asOfMs: closeTs,
        });
        if (!verdict.ok) tally.refused(symbolOf(m), verdict.reasons);
        else
          m.pendingEntry ??= {
            ...intent,
            category: m.instrument.category,
            decided_at: closeTs,
            source_module: intent.source ?? null,
            contributors: d.contributors,
          };
      }
    }
    if (step % 500 === 0 || step === times.length - 1) ports.progress(step + 1, times.length);
  }
  closeAtEnd(account, markets, lastClose, curve, setup);
  return {
    tally,
    trades: account.trades,
    cash: account.cash,
    curve,
    markets: markets.map((m) => ({ curve: m.curve, exposed: m.exposed })),
    recorded,
  };
}

/** Positions still open at the end are closed at the last close, costs included, so every trade is counted. */
function closeAtEnd(
  account: SimAccount,
  markets: readonly Market[],
  lastClose: ReadonlyMap<string, number>,
  curve: EquityCurve,
  setup: ReplaySettings,
): void {
  for (const pos of [...account.open]) {
    const m = markets.find((x) => symbolOf(x) === pos.order.symbol)!;
    account.exit(
      pos,
      'end_of_test',
      pos.open_qty,
      slippedPrice(exitOrderSide(pos.side), lastClose.get(pos.order.symbol)!, setup.costs.slippage),
      curve.ts.at(-1)!,
      m.next - 1,
    );
  }
  if (curve.equity.length > 0) curve.equity[curve.equity.length - 1] = account.cash;
  for (const m of markets)
    if (m.curve.equity.length > 0)
      m.curve.equity[m.curve.equity.length - 1] =
        setup.initialEquity + (account.realizedBySymbol.get(symbolOf(m)) ?? 0);
}
