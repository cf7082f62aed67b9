import { z } from 'zod';

/**
 * `trader parity`'s report (its --json document, validated before it is printed): recorded
 * runs re-decided by the backtest engine's decision path, each difference with its cause,
 * and the costs of real fills against the fill model's.
 */

export const Cause = z.enum(['candles_changed', 'plan_changed', 'data_gap', 'unexplained']);
export type Cause = z.infer<typeof Cause>;

/** What a decision came to, in the terms parity compares: its kind and its sized orders. */
export const DecisionShape = z.object({
  outcome: z.string().describe('trade_intent, no_trade, blocked or error'),
  intents: z.array(z.object({ side: z.enum(['buy', 'sell']), entry: z.number(), stop: z.number(), qty: z.number() })),
});
export type DecisionShape = z.infer<typeof DecisionShape>;

export const Difference = z.object({
  run_id: z.string().uuid(),
  as_of: z.string(),
  pipeline_id: z.string(),
  symbol: z.string(),
  cause: Cause,
  explanation: z.string().describe('one sentence: what changed, or that nothing recorded explains it'),
  recorded: DecisionShape,
  replayed: DecisionShape,
});
export type Difference = z.infer<typeof Difference>;

/** A decided symbol parity could not re-decide, with why (a run recorded before fingerprints, say). */
export const Unverified = z.object({
  run_id: z.string().uuid(),
  as_of: z.string(),
  symbol: z.string(),
  reason: z.string(),
});
export type Unverified = z.infer<typeof Unverified>;

const Spread = z.object({ mean: z.number(), p95: z.number() });

/** Fills of one kind (paper, exchange) against the paper fill model, basis points; positive = worse for the trader. */
export const CostStats = z.object({
  fills: z.number().int().nonnegative(),
  slippage_bps: Spread.nullable().describe('realised: average fill price against the decision entry'),
  fee_bps: Spread.nullable().describe('realised: fee over notional'),
  model_slippage_bps: Spread.nullable(),
  model_fee_bps: Spread.nullable(),
  /** Mean (realised - model) slippage plus fee; null without fills. */
  optimistic_by_bps: z.number().nullable(),
});
export type CostStats = z.infer<typeof CostStats>;

export const ParityReport = z.object({
  ok: z.boolean().describe('false when a difference has no explained cause (exit 1)'),
  from: z.string(),
  to: z.string(),
  pipeline_id: z.string().nullable(),
  runs: z.number().int().nonnegative(),
  decisions: z.object({
    checked: z.number().int().nonnegative(),
    identical: z.number().int().nonnegative(),
    different: z.number().int().nonnegative(),
    unverified: z.number().int().nonnegative(),
  }),
  causes: z.record(Cause, z.number().int().nonnegative()),
  differences: z.array(Difference),
  unverified: z.array(Unverified).describe('the first 50'),
  costs: z.object({
    paper: CostStats.describe('TEST paper fills: the model itself, so they agree unless the costs changed since'),
    exchange: CostStats.describe('LIVE exchange fills: the real test of the model'),
    suggestion: z.string().nullable(),
  }),
});
export type ParityReport = z.infer<typeof ParityReport>;
