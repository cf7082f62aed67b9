import { slippedPrice } from '../../trading/paper/fill-model.ts';
import type { CostStats } from './parity-schema.ts';

/**
 * One filled entry order against the paper fill model: what it cost in reality (average
 * fill price against the decision's entry, fee over notional) and what the model would have
 * charged for the same order at the same bar. Pure arithmetic, tested without a database.
 */
export interface FilledOrder {
  side: 'buy' | 'sell';
  /** The entry the decision sized the order at: the model fills there plus its slippage. */
  reference: number;
  qty: number;
  avg_price: number;
  /** The fee in the quote currency; null when it was paid in a third asset parity cannot price. */
  fee_quote: number | null;
  /** The model's costs for this order, as fractions. */
  model: { fee_rate: number; slippage_rate: number };
}

export interface OrderCost {
  slippage_bps: number;
  fee_bps: number | null;
  model_slippage_bps: number;
  model_fee_bps: number;
}

/** Signed basis points of a fill against its reference: positive when the trader paid more (buy) or got less (sell). */
export function slippageBps(side: 'buy' | 'sell', reference: number, price: number): number {
  return (side === 'buy' ? price / reference - 1 : 1 - price / reference) * 1e4;
}

export function orderCost(o: FilledOrder): OrderCost {
  const modelPrice = slippedPrice(o.side, o.reference, o.model.slippage_rate);
  return {
    slippage_bps: slippageBps(o.side, o.reference, o.avg_price),
    fee_bps: o.fee_quote === null ? null : (o.fee_quote / (o.qty * o.avg_price)) * 1e4,
    model_slippage_bps: slippageBps(o.side, o.reference, modelPrice),
    model_fee_bps: o.model.fee_rate * 1e4,
  };
}

/** Nearest-rank 95th percentile. */
function p95(sorted: number[]): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

function spread(values: number[]): { mean: number; p95: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { mean: round(values.reduce((s, v) => s + v, 0) / values.length), p95: round(p95(sorted)) };
}

export function costStats(costs: OrderCost[]): CostStats {
  const fees = costs.flatMap((c) => (c.fee_bps === null ? [] : [c.fee_bps]));
  const modelFees = costs.flatMap((c) => (c.fee_bps === null ? [] : [c.model_fee_bps]));
  const slip = spread(costs.map((c) => c.slippage_bps));
  const modelSlip = spread(costs.map((c) => c.model_slippage_bps));
  const fee = spread(fees);
  const modelFee = spread(modelFees);
  const gap =
    slip && modelSlip ? round(slip.mean - modelSlip.mean + (fee && modelFee ? fee.mean - modelFee.mean : 0)) : null;
  return {
    fills: costs.length,
    slippage_bps: slip,
    fee_bps: fee,
    model_slippage_bps: modelSlip,
    model_fee_bps: modelFee,
    optimistic_by_bps: gap,
  };
}

/** Reality worse than the model by more than this (per fill, slippage plus fee) earns a suggestion. */
export const OPTIMISTIC_BPS = 0.5;

export function costSuggestion(exchange: CostStats): string | null {
  if (exchange.optimistic_by_bps === null || exchange.optimistic_by_bps <= OPTIMISTIC_BPS) return null;
  return `The paper fill model is optimistic by ${exchange.optimistic_by_bps} bps per fill against ${exchange.fills} LIVE fill(s): run \`trader paper costs --from-parity\`.`;
}
