import {
  amountStep,
  bestIdea,
  withinProfileLimit,
  defineManifest,
  fixed as f,
  minimumsViolation,
  type ModuleRun,
  px,
  realisedRiskText,
  sizeByRisk,
  sizingParamShape,
  spotIntent,
  stepText as describeStep,
  stopToTick,
  walletNote,
  walletOf,
  z,
} from '../../sdk/index.ts';

/**
 * Fixed-fractional sizing of the best-scored idea (ties: higher rr, then the first).
 *
 * 1. Stop = the idea's stop, widened to `min_stop_atr_mult` x ATR from entry when closer,
 *    then rounded away from entry to the tick size (when known).
 * 2. qty = equity x risk_pct / 100 / |entry - stop|, capped so notional <= max_notional_pct of
 *    equity (spot, leverage 1) and so the free balance pays the entry's margin and fee at
 *    worst-case slippage (portfolio.fee_rate / slippage_rate, sdk entryCost: what the risk gate
 *    checks), floored to the amount step (from amount_precision). Rounding only ever lowers
 *    qty, so the realised risk never exceeds the budget.
 * 3. No intent (the rationale says why) when qty is 0, below min_qty, or notional below
 *    min_notional.
 * take_profits = the idea's targets with `tp_fractions` (equal split when the counts differ).
 * risk_pct / risk_amount on the intent are the realised ones after rounding. risk_pct is lowered
 * to the active risk profile's limit (portfolio.max_risk_pct) when it is above it.
 */
export const manifest = defineManifest({
  module_id: 'fixed_fractional_v1',
  version: '1.2.0',
  logic_type: 'risk',
  description:
    'Sizes the best idea so that hitting the stop loses a fixed percent of equity, respecting the market step, minimums, a notional cap and what the free balance pays (fee and slippage included).',
  input_keys: ['ideas', 'portfolio', 'instrument', 'volatility', 'symbol'],
  output_keys: ['intents'],
  params: z
    .object({
      risk_pct: z.number().positive().max(10).default(1).describe('percent of equity lost if the stop fills'),
      min_stop_atr_mult: z
        .number()
        .min(0)
        .max(20)
        .default(1)
        .describe('the stop is widened to at least this many ATRs from entry; 0 disables'),
      ...sizingParamShape,
      tp_fractions: z
        .array(z.number().positive().max(1))
        .min(1)
        .max(10)
        .default([0.5, 0.5])
        .describe(
          'fraction of the quantity closed at each target, in target order; equal split when the count differs from the targets',
        )
        .refine((a) => Math.abs(a.reduce((s, x) => s + x, 0) - 1) < 1e-9, 'tp_fractions must sum to 1'),
    })
    .strict(),
});

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const none = (why: string) => ({ outputs: { intents: [] }, rationale: why });
  if (view.ideas.length === 0) return none('No intent: there is no idea to size.');
  const idea = bestIdea(view.ideas);
  const { equity, currency } = view.portfolio;
  const inst = view.instrument;
  const sign = idea.direction === 'long' ? 1 : -1;
  const entry = idea.entry;
  const head = `Best idea ${idea.direction} (score ${f(idea.score, 3)}) entry ${px(entry)} stop ${px(idea.stop)}`;
  if (!(equity > 0)) return none(`No intent: equity is ${equity} ${currency}, nothing to risk.`);
  if (!(sign * (entry - idea.stop) > 0))
    return none(`No intent: ${head}: the stop is not on the loss side of the entry.`);

  const notes: string[] = [];
  const atr = view.volatility.atr;
  const minDist = params.min_stop_atr_mult * atr;
  let stop = idea.stop;
  if (sign * (entry - stop) < minDist) {
    stop = entry - sign * minDist;
    notes.push(
      `stop widened from ${px(idea.stop)} to ${px(stop)} = ${params.min_stop_atr_mult} x ATR ${px(atr)} from entry`,
    );
  }
  const ticked = stopToTick(stop, inst.tick_size, sign);
  if (ticked !== stop) notes.push(`stop rounded to tick ${inst.tick_size}: ${ticked}`);
  stop = ticked;
  if (!(stop > 0)) return none(`No intent: ${head}: the stop would be ${px(stop)}, not a positive price.`);
  const dist = sign * (entry - stop);

  const step = amountStep(inst.amount_precision, params.default_amount_decimals);
  const limited = withinProfileLimit(params.risk_pct, view.portfolio.max_risk_pct);
  if (limited.note) notes.push(limited.note);
  const wallet = walletOf(view.portfolio, 1);
  const sizing = sizeByRisk({
    equity,
    riskPct: limited.riskPct,
    maxNotionalPct: params.max_notional_pct,
    entry,
    dist,
    step,
    wallet,
  });
  const { budget, maxNotional, uncapped, capped, qty } = sizing;
  if (capped) {
    notes.push(
      `qty ${uncapped.toPrecision(6)} capped to ${params.max_notional_pct}% of equity (${f(maxNotional)} ${currency} notional)`,
    );
  }
  const cut = walletNote(sizing, wallet, currency);
  if (cut) notes.push(cut);
  const stepText = describeStep(step, inst.amount_precision);
  const sized = `${head}: equity ${f(equity)} ${currency} x ${limited.riskPct}% = ${f(budget)} at risk / ${px(dist)} per unit = ${(budget / dist).toPrecision(6)}, ${stepText} -> qty ${qty}`;
  const noteText = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  const violation = minimumsViolation(qty, entry, inst);
  if (violation !== null) return none(`No intent: ${sized}${noteText}; ${violation}.`);

  const targets = idea.targets;
  const fractions =
    params.tp_fractions.length === targets.length ? params.tp_fractions : targets.map(() => 1 / targets.length);
  const takeProfits = targets.map((price, i) => ({ price, fraction: fractions[i]! }));
  const intent = spotIntent({ symbol: view.symbol, sign, qty, entry, stop, dist, equity, takeProfits });
  return {
    outputs: { intents: [intent] },
    rationale:
      `${sized}${noteText}. ${realisedRiskText(intent, currency)} ` +
      `Take-profits ${targets.map((t, i) => `${f(fractions[i]! * 100, 1)}% at ${px(t)}`).join(', ')}` +
      `${params.tp_fractions.length === targets.length ? '' : ` (equal split: ${params.tp_fractions.length} fractions for ${targets.length} targets)`}.`,
  };
};
