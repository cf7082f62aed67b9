import { z } from 'zod';
import type { GateVerdict } from '../risk-gate/gate.ts';
import { type FittedOrder, fitOrder, MarketFilters, OrderToFit } from './market-filters.ts';

/**
 * The just-in-time checks run right before an order leaves (issue 15, item 4), as pure
 * judgements of facts the caller gathered a moment ago (jit-check-run.ts gathers them):
 * - the fresh price is within the allowed deviation of the price the decision was made at;
 * - the order fits the market's filters (rounded down, never up; market-filters.ts);
 * - the free balance covers it, fees included (skipped only when the balance was not
 *   queried, require_jit_checks = false);
 * - the risk gate, re-run against those balances and the state as it is now (mode, halt,
 *   leverage, drawdown, exposure), allows it; never skipped for an entry;
 * - spot orders carry no leverage;
 * - the exchange has not asked us to wait (rate limit), and the clock offset is known and
 *   small enough for signed requests to be trusted;
 * - for an entry, reconciliation has not halted the market (its exchange kept failing).
 * A failure names every check that failed; a shortfall of balance (ours, or the gate's
 * margin rule) is told apart, to be audited as JIT_CHECK_INSUFFICIENT_FUNDS.
 */

export const JitLimits = z.object({
  /** Largest move of the price since the decision, in percent of the decision price. */
  max_price_deviation_pct: z.number().positive().default(1),
  /** Largest clock offset to the exchange that is still trusted, ms. */
  max_clock_offset_ms: z.number().positive().default(30_000),
});
export type JitLimits = z.infer<typeof JitLimits>;

export const JitFacts = z.object({
  order: OrderToFit.omit({ reference_price: true }),
  filters: MarketFilters,
  decision_price: z.number().positive(),
  fresh_price: z.number().positive(),
  /** Free balance of what the order spends: the quote asset for a buy, the base asset for a sell; null when not queried. */
  free_balance: z.number().nonnegative().nullable(),
  /** Taker fee as a fraction of notional. */
  fee_rate: z.number().nonnegative(),
  leverage: z.number().min(1),
  /** The gate's verdict for an entry; null for a protective or closing order, which only lowers exposure. */
  gate: z.custom<GateVerdict>().nullable(),
  /** Until when the exchange asked us to wait (ms since epoch), or null. */
  rate_limited_until: z.number().nullable(),
  now: z.number(),
  clock_offset_ms: z.number().nullable(),
  /** Why reconciliation halted this market (the exchange kept failing there), or null/absent when it is not. */
  market_halt: z.string().nullish(),
});
export type JitFacts = z.infer<typeof JitFacts>;

export const JitCheckName = z.enum([
  'fresh_price',
  'market_filters',
  'free_balance',
  'risk_gate',
  'spot_leverage',
  'rate_limit',
  'clock_offset',
  'market_halt',
  'exchange',
]);
export type JitCheckName = z.infer<typeof JitCheckName>;

export interface JitCheck {
  check: JitCheckName;
  ok: boolean;
  detail: string;
}

export interface JitVerdict {
  ok: boolean;
  /** The audit action of a refusal; null when the order may go. */
  failure: 'JIT_CHECK_FAILURE' | 'JIT_CHECK_INSUFFICIENT_FUNDS' | null;
  checks: JitCheck[];
  /** The order as it would be sent (rounded to the filters), when it fits them. */
  order: FittedOrder | null;
  /** One sentence for the user when refused. */
  reason: string | null;
}

/** What the order spends from the free balance, fees included: quote for a buy, base for a sell. */
export function orderSpend(order: FittedOrder, price: number, feeRate: number): number {
  const at = order.price ?? price;
  return order.side === 'buy' ? order.qty * at * (1 + feeRate) : order.qty;
}

const pct = (x: number) => Number(x.toFixed(4));

export function judgeJit(facts: JitFacts, limits: JitLimits = JitLimits.parse({})): JitVerdict {
  const f = JitFacts.parse(facts);
  const checks: JitCheck[] = [];
  const add = (check: JitCheckName, ok: boolean, detail: string) => checks.push({ check, ok, detail });

  const deviation = (Math.abs(f.fresh_price - f.decision_price) / f.decision_price) * 100;
  add(
    'fresh_price',
    deviation <= limits.max_price_deviation_pct,
    `the price is ${f.fresh_price}, ${pct(deviation)}% from the decision price ${f.decision_price} (at most ${limits.max_price_deviation_pct}%)`,
  );
  const fit = fitOrder(f.filters, { ...f.order, reference_price: f.fresh_price });
  add('market_filters', fit.ok, fit.ok ? `${fit.order.qty} ${f.filters.symbol} fits the market's filters` : fit.reason);
  if (f.free_balance === null) add('free_balance', true, 'not queried (require_jit_checks is off)');
  else if (fit.ok) {
    const spend = orderSpend(fit.order, f.fresh_price, f.fee_rate);
    add(
      'free_balance',
      spend <= f.free_balance,
      `the order needs ${pct(spend)} with fees and ${pct(f.free_balance)} is free`,
    );
  }
  if (f.gate) add('risk_gate', f.gate.ok, f.gate.ok ? 'the risk gate allows it' : f.gate.reasons.join('; '));
  add('spot_leverage', f.leverage === 1, `a spot order takes no leverage (asked ${f.leverage}x)`);
  const waitMs = f.rate_limited_until === null ? 0 : f.rate_limited_until - f.now;
  add(
    'rate_limit',
    waitMs <= 0,
    waitMs > 0 ? `the exchange asked to wait ${Math.ceil(waitMs / 1000)} s more` : 'no wait asked',
  );
  add(
    'clock_offset',
    f.clock_offset_ms !== null && Math.abs(f.clock_offset_ms) <= limits.max_clock_offset_ms,
    f.clock_offset_ms === null
      ? 'the clock offset to the exchange was never measured'
      : `the clock is ${f.clock_offset_ms} ms off the exchange's (at most ${limits.max_clock_offset_ms} ms)`,
  );

  // Entries only: a stop or a close on a market whose exchange is failing is still worth trying.
  if (f.gate)
    add(
      'market_halt',
      !f.market_halt,
      f.market_halt ? `the market is halted: ${f.market_halt}` : 'the market is not halted',
    );

  const failed = checks.filter((c) => !c.ok);
  const shortOfFunds =
    failed.some((c) => c.check === 'free_balance') ||
    (f.gate?.checks.some((c) => c.rule === 'margin' && !c.ok) ?? false);
  return {
    ok: failed.length === 0,
    failure: failed.length === 0 ? null : shortOfFunds ? 'JIT_CHECK_INSUFFICIENT_FUNDS' : 'JIT_CHECK_FAILURE',
    checks,
    order: fit.ok ? fit.order : null,
    reason:
      failed.length === 0
        ? null
        : `The ${f.order.side} order on ${f.filters.symbol} was not sent: ${failed.map((c) => c.detail).join('; ')}.`,
  };
}
