import { defineManifest, floorToStep, stepFromPrecision, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * Fixed-fractional sizing of the best-scored idea (ties: higher rr, then the first), driven by
 * the other risk modules instead of its own params:
 *
 * - risk % = risk_params.risk_per_trade_pct (from the allocator), at most `max_risk_pct`;
 *   0 -> no intent, naming the rules that set it;
 * - stop = stop_plan.stop, which must be for the best idea (same direction and entry), then
 *   rounded away from entry to the tick size (when known) - this only widens it;
 * - take_profits = exit_plan.take_profits, each of which must lie beyond the entry.
 *
 * qty = equity x risk % / 100 / |entry - stop|, capped so notional <= max_notional_pct of equity
 * (spot, leverage 1), floored to the amount step (amount_precision, else
 * default_amount_decimals). Rounding only ever lowers qty, so the realised risk never exceeds
 * the budget. No intent when qty is 0, below min_qty, or the notional is below min_notional.
 * risk_pct / risk_amount on the intent are the realised ones after rounding.
 */
export const manifest = defineManifest({
  module_id: 'fixed_fractional_v2',
  version: '2.0.0',
  logic_type: 'risk',
  description:
    "Sizes the best idea so that the stop plan's stop loses the allocator's risk per trade, with the exit plan's take-profits, the market step, minimums and a notional cap.",
  input_keys: ['ideas', 'stop_plan', 'exit_plan', 'risk_params', 'portfolio', 'instrument', 'symbol'],
  output_keys: ['intents'],
  params: z
    .object({
      max_risk_pct: z
        .number()
        .positive()
        .max(10)
        .default(3)
        .describe("hard ceiling on the risk per trade, percent of equity, whatever risk_params say"),
      max_notional_pct: z
        .number()
        .positive()
        .max(100)
        .default(100)
        .describe('cap on the position value as percent of equity (spot, no leverage)'),
      default_amount_decimals: z
        .number()
        .int()
        .min(0)
        .max(12)
        .default(8)
        .describe("quantity decimals used when the instrument's amount precision is unknown"),
    })
    .strict(),
});

const f = (x: number, d = 2) => x.toFixed(d);
/** Prices and price distances: 2 decimals from 1 up, 4 significant digits below (sub-cent coins). */
const px = (x: number) => (Math.abs(x) >= 1 || x === 0 ? x.toFixed(2) : x.toPrecision(4));

/** Rounds a price away from the entry to the tick: down for a long's stop, up for a short's. */
function stopToTick(stop: number, tick: number | null, sign: number): number {
  if (tick === null || !(tick > 0)) return stop;
  if (sign > 0) return floorToStep(stop, tick);
  const decimals = Math.max(0, -Math.floor(Math.log10(tick)) + 2);
  const up = Number((Math.ceil(stop / tick - 1e-9) * tick).toFixed(decimals));
  return up >= stop ? up : stop;
}

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const none = (why: string) => ({ outputs: { intents: [] }, rationale: why });
  if (view.ideas.length === 0) return none('No intent: there is no idea to size.');
  const idea = view.ideas.reduce((a, b) => (b.score > a.score || (b.score === a.score && b.rr > a.rr) ? b : a));
  const { equity, currency } = view.portfolio;
  const inst = view.instrument;
  const rp = view.risk_params;
  const plan = view.stop_plan;
  const sign = idea.direction === 'long' ? 1 : -1;
  const entry = idea.entry;
  const head = `Best idea ${idea.direction} (score ${f(idea.score, 3)}) entry ${px(entry)}`;

  const rules = rp.rules_applied.length > 0 ? `rules ${rp.rules_applied.join(', ')}` : 'no rule';
  if (!(rp.risk_per_trade_pct > 0)) {
    return none(`No intent: ${head}: risk_params allow ${rp.risk_per_trade_pct}% risk per trade (multiplier ${rp.multiplier} from ${rules}).`);
  }
  if (!(equity > 0)) return none(`No intent: equity is ${equity} ${currency}, nothing to risk.`);
  if (plan.direction !== idea.direction || Math.abs(plan.entry - entry) > 1e-9 * Math.abs(entry)) {
    return none(`No intent: ${head}: the stop plan (${plan.direction} entry ${px(plan.entry)}) is not for this idea.`);
  }
  if (!(sign * (entry - plan.stop) > 0)) return none(`No intent: ${head}: the stop ${px(plan.stop)} is not on the loss side of the entry.`);
  const tps = view.exit_plan.take_profits;
  const wrongTp = tps.find((t) => !(sign * (t.price - entry) > 0));
  if (wrongTp !== undefined) return none(`No intent: ${head}: take-profit ${px(wrongTp.price)} is not beyond the entry.`);

  const notes: string[] = [];
  const riskPct = Math.min(rp.risk_per_trade_pct, params.max_risk_pct);
  if (riskPct < rp.risk_per_trade_pct) notes.push(`risk ${rp.risk_per_trade_pct}% capped at max_risk_pct ${params.max_risk_pct}%`);
  const stop = stopToTick(plan.stop, inst.tick_size, sign);
  if (stop !== plan.stop) notes.push(`stop rounded away from entry to tick ${inst.tick_size}: ${stop}`);
  if (!(stop > 0)) return none(`No intent: ${head}: the stop would be ${px(stop)}, not a positive price.`);
  const dist = sign * (entry - stop);

  const budget = (equity * riskPct) / 100;
  const maxNotional = (equity * params.max_notional_pct) / 100;
  const step = stepFromPrecision(inst.amount_precision ?? params.default_amount_decimals);
  let raw = budget / dist;
  if (raw * entry > maxNotional) {
    notes.push(`qty ${raw.toPrecision(6)} capped to ${params.max_notional_pct}% of equity (${f(maxNotional)} ${currency} notional)`);
    raw = maxNotional / entry;
  }
  let qty = floorToStep(raw, step);
  // Guard against float rounding: the order must never risk more than the budget or exceed the cap.
  for (let i = 0; i < 8 && qty > 0 && (qty * dist > budget || qty * entry > maxNotional); i++) {
    const next = floorToStep(Math.max(0, qty - step), step);
    // When the step is below the float resolution of qty, stepping down changes nothing: shave an ulp or so.
    qty = next < qty ? next : qty * (1 - 4 * Number.EPSILON);
  }
  const stepText = `step ${Number(step.toPrecision(1))}${inst.amount_precision === null ? ' (precision unknown: default_amount_decimals)' : ''}`;
  const sized =
    `${head} stop ${px(stop)} (${plan.method}): equity ${f(equity)} ${currency} x ${riskPct}% (risk_params, ${rules}) = ${f(budget)} at risk ` +
    `/ ${px(dist)} per unit = ${(budget / dist).toPrecision(6)}, ${stepText} -> qty ${qty}`;
  const noteText = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  if (!(qty > 0)) return none(`No intent: ${sized}${noteText}; the quantity rounds to 0.`);
  if (inst.min_qty !== null && qty < inst.min_qty) return none(`No intent: ${sized}${noteText}; below min_qty ${inst.min_qty}.`);
  const notional = qty * entry;
  if (inst.min_notional !== null && notional < inst.min_notional) {
    return none(`No intent: ${sized}${noteText}; notional ${f(notional)} below min_notional ${inst.min_notional}.`);
  }

  const riskAmount = qty * dist;
  const realisedPct = (riskAmount / equity) * 100;
  return {
    outputs: {
      intents: [
        {
          symbol: view.symbol,
          side: sign > 0 ? 'buy' : 'sell',
          qty,
          entry,
          stop,
          take_profits: tps.map((t) => ({ price: t.price, fraction: t.fraction })),
          leverage: 1,
          risk_pct: realisedPct,
          risk_amount: riskAmount,
          notional,
        },
      ],
    },
    rationale:
      `${sized}${noteText}. Notional ${f(notional)} ${currency}, realised risk ${f(riskAmount)} ${currency} = ${realisedPct.toFixed(4)}% of equity. ` +
      `Take-profits (exit plan) ${tps.map((t) => `${f(t.fraction * 100, 1)}% at ${px(t.price)}`).join(', ')}.`,
  };
};
