import {
  amountStep,
  bestIdea,
  costRatesOf,
  leverageFor,
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
 * Fixed-fractional sizing of the best-scored idea (ties: higher rr, then the first), driven by
 * the other risk modules instead of its own params:
 *
 * - risk % = risk_params.risk_per_trade_pct (from the allocator), at most `max_risk_pct` and at
 *   most the active risk profile's limit (portfolio.max_risk_pct); 0 -> no intent, naming the
 *   rules that set it;
 * - stop = stop_plan.stop, which must be for the best idea (same direction and entry), then
 *   rounded away from entry to the tick size (when known) - this only widens it;
 * - take_profits = exit_plan.take_profits, each of which must lie beyond the entry; the exit
 *   plan's breakeven_after_tp and time_stop_bars travel with the intent to the position.
 *
 * qty = equity x risk % / 100 / |entry - stop|, capped so notional <= max_notional_pct of equity
 * (times portfolio.max_leverage when the account may use leverage), floored to the amount step (amount_precision, else
 * default_amount_decimals). Rounding only ever lowers qty, so the realised risk never exceeds
 * the budget. No intent when qty is 0, below min_qty, or the notional is below min_notional.
 * risk_pct / risk_amount on the intent are the realised ones after rounding. With leverage
 * allowed, the intent's leverage is the smallest whose margin and fees fit the free balance
 * (sdk leverageFor); the risk does not change with it. Then qty is cut to what the free balance
 * pays at that leverage: margin and fee at worst-case slippage (portfolio.fee_rate /
 * slippage_rate, sdk entryCost), exactly what the risk gate checks.
 */
export const manifest = defineManifest({
  module_id: 'fixed_fractional_v2',
  version: '2.3.0',
  logic_type: 'risk',
  description:
    "Sizes the best idea so that the stop plan's stop loses the allocator's risk per trade, with the exit plan's take-profits, the market step, minimums, a notional cap and what the free balance pays (fee and slippage included).",
  input_keys: ['ideas', 'stop_plan', 'exit_plan', 'risk_params', 'portfolio', 'instrument', 'symbol'],
  output_keys: ['intents'],
  params: z
    .object({
      max_risk_pct: z
        .number()
        .positive()
        .max(10)
        .default(3)
        .describe('hard ceiling on the risk per trade, percent of equity, whatever risk_params say'),
      ...sizingParamShape,
    })
    .strict(),
});

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const none = (why: string) => ({ outputs: { intents: [] }, rationale: why });
  if (view.ideas.length === 0) return none('No intent: there is no idea to size.');
  const idea = bestIdea(view.ideas);
  const { equity, currency } = view.portfolio;
  const inst = view.instrument;
  const rp = view.risk_params;
  const plan = view.stop_plan;
  const sign = idea.direction === 'long' ? 1 : -1;
  const entry = idea.entry;
  const head = `Best idea ${idea.direction} (score ${f(idea.score, 3)}) entry ${px(entry)}`;

  const rules = rp.rules_applied.length > 0 ? `rules ${rp.rules_applied.join(', ')}` : 'no rule';
  if (!(rp.risk_per_trade_pct > 0)) {
    return none(
      `No intent: ${head}: risk_params allow ${rp.risk_per_trade_pct}% risk per trade (multiplier ${rp.multiplier} from ${rules}).`,
    );
  }
  if (!(equity > 0)) return none(`No intent: equity is ${equity} ${currency}, nothing to risk.`);
  if (plan.direction !== idea.direction || Math.abs(plan.entry - entry) > 1e-9 * Math.abs(entry)) {
    return none(`No intent: ${head}: the stop plan (${plan.direction} entry ${px(plan.entry)}) is not for this idea.`);
  }
  if (!(sign * (entry - plan.stop) > 0))
    return none(`No intent: ${head}: the stop ${px(plan.stop)} is not on the loss side of the entry.`);
  const tps = view.exit_plan.take_profits;
  const wrongTp = tps.find((t) => !(sign * (t.price - entry) > 0));
  if (wrongTp !== undefined)
    return none(`No intent: ${head}: take-profit ${px(wrongTp.price)} is not beyond the entry.`);

  const notes: string[] = [];
  const ownCap = Math.min(rp.risk_per_trade_pct, params.max_risk_pct);
  if (ownCap < rp.risk_per_trade_pct)
    notes.push(`risk ${rp.risk_per_trade_pct}% capped at max_risk_pct ${params.max_risk_pct}%`);
  const { riskPct, note } = withinProfileLimit(ownCap, view.portfolio.max_risk_pct);
  if (note) notes.push(note);
  const stop = stopToTick(plan.stop, inst.tick_size, sign, { neverTowardEntry: true });
  if (stop !== plan.stop) notes.push(`stop rounded away from entry to tick ${inst.tick_size}: ${stop}`);
  if (!(stop > 0)) return none(`No intent: ${head}: the stop would be ${px(stop)}, not a positive price.`);
  const dist = sign * (entry - stop);

  const step = amountStep(inst.amount_precision, params.default_amount_decimals);
  const maxLeverage = view.portfolio.max_leverage ?? 1;
  const bySize = {
    equity,
    riskPct: riskPct,
    maxNotionalPct: params.max_notional_pct * maxLeverage,
    entry,
    dist,
    step,
  };
  const lev = leverageFor({
    notional: sizeByRisk(bySize).qty * entry,
    freeBalance: view.portfolio.free_balance,
    maxLeverage: view.portfolio.max_leverage,
    stopFraction: dist / entry,
    rates: costRatesOf(view.portfolio),
  });
  const wallet = walletOf(view.portfolio, lev.leverage);
  const sizing = sizeByRisk({ ...bySize, wallet });
  const { budget, maxNotional, uncapped, capped, qty } = sizing;
  if (capped) {
    const levText = maxLeverage > 1 ? ` x ${view.portfolio.max_leverage}x leverage` : '';
    notes.push(
      `qty ${uncapped.toPrecision(6)} capped to ${params.max_notional_pct}% of equity${levText} (${f(maxNotional)} ${currency} notional)`,
    );
  }
  if (lev.note) notes.push(lev.note);
  const cut = walletNote(sizing, wallet, currency);
  if (cut) notes.push(cut);
  const stepText = describeStep(step, inst.amount_precision);
  const sized =
    `${head} stop ${px(stop)} (${plan.method}): equity ${f(equity)} ${currency} x ${riskPct}% (risk_params, ${rules}) = ${f(budget)} at risk ` +
    `/ ${px(dist)} per unit = ${(budget / dist).toPrecision(6)}, ${stepText} -> qty ${qty}`;
  const noteText = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  const violation = minimumsViolation(qty, entry, inst);
  if (violation !== null) return none(`No intent: ${sized}${noteText}; ${violation}.`);

  const takeProfits = tps.map((t) => ({ price: t.price, fraction: t.fraction }));
  const intent = spotIntent({
    symbol: view.symbol,
    sign,
    qty,
    entry,
    stop,
    dist,
    equity,
    takeProfits,
    leverage: lev.leverage,
    exitRules: {
      breakeven_after_tp: view.exit_plan.breakeven_after_tp,
      time_stop_bars: view.exit_plan.time_stop_bars,
    },
  });
  return {
    outputs: { intents: [intent] },
    rationale:
      `${sized}${noteText}. ${realisedRiskText(intent, currency)} ` +
      `Take-profits (exit plan) ${tps.map((t) => `${f(t.fraction * 100, 1)}% at ${px(t.price)}`).join(', ')}.`,
  };
};
