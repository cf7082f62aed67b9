import { defineManifest, floorToStep, stepFromPrecision, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * Fixed-fractional sizing of the best-scored idea (ties: higher rr, then the first).
 *
 * 1. Stop = the idea's stop, widened to `min_stop_atr_mult` x ATR from entry when closer,
 *    then rounded away from entry to the tick size (when known).
 * 2. qty = equity x risk_pct / 100 / |entry - stop|, capped so notional <= max_notional_pct of
 *    equity (spot, leverage 1), floored to the amount step (from amount_precision). Rounding
 *    only ever lowers qty, so the realised risk never exceeds the budget.
 * 3. No intent (the rationale says why) when qty is 0, below min_qty, or notional below
 *    min_notional.
 * take_profits = the idea's targets with `tp_fractions` (equal split when the counts differ).
 * risk_pct / risk_amount on the intent are the realised ones after rounding.
 */
export const manifest = defineManifest({
  module_id: 'fixed_fractional_v1',
  version: '1.0.0',
  logic_type: 'risk',
  description:
    'Sizes the best idea so that hitting the stop loses a fixed percent of equity, respecting the market step, minimums and a notional cap.',
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
      tp_fractions: z
        .array(z.number().positive().max(1))
        .min(1)
        .max(10)
        .default([0.5, 0.5])
        .describe('fraction of the quantity closed at each target, in target order; equal split when the count differs from the targets')
        .refine((a) => Math.abs(a.reduce((s, x) => s + x, 0) - 1) < 1e-9, 'tp_fractions must sum to 1'),
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
  return Number((Math.ceil(stop / tick - 1e-9) * tick).toFixed(decimals));
}

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const none = (why: string) => ({ outputs: { intents: [] }, rationale: why });
  if (view.ideas.length === 0) return none('No intent: there is no idea to size.');
  const idea = view.ideas.reduce((a, b) => (b.score > a.score || (b.score === a.score && b.rr > a.rr) ? b : a));
  const { equity, currency } = view.portfolio;
  const inst = view.instrument;
  const sign = idea.direction === 'long' ? 1 : -1;
  const entry = idea.entry;
  const head = `Best idea ${idea.direction} (score ${f(idea.score, 3)}) entry ${px(entry)} stop ${px(idea.stop)}`;
  if (!(equity > 0)) return none(`No intent: equity is ${equity} ${currency}, nothing to risk.`);
  if (!(sign * (entry - idea.stop) > 0)) return none(`No intent: ${head}: the stop is not on the loss side of the entry.`);

  const notes: string[] = [];
  const atr = view.volatility.atr;
  const minDist = params.min_stop_atr_mult * atr;
  let stop = idea.stop;
  if (sign * (entry - stop) < minDist) {
    stop = entry - sign * minDist;
    notes.push(`stop widened from ${px(idea.stop)} to ${px(stop)} = ${params.min_stop_atr_mult} x ATR ${px(atr)} from entry`);
  }
  const ticked = stopToTick(stop, inst.tick_size, sign);
  if (ticked !== stop) notes.push(`stop rounded to tick ${inst.tick_size}: ${ticked}`);
  stop = ticked;
  if (!(stop > 0)) return none(`No intent: ${head}: the stop would be ${px(stop)}, not a positive price.`);
  const dist = sign * (entry - stop);

  const budget = (equity * params.risk_pct) / 100;
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
  const sized = `${head}: equity ${f(equity)} ${currency} x ${params.risk_pct}% = ${f(budget)} at risk / ${px(dist)} per unit = ${(budget / dist).toPrecision(6)}, ${stepText} -> qty ${qty}`;
  const noteText = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  if (!(qty > 0)) return none(`No intent: ${sized}${noteText}; the quantity rounds to 0.`);
  if (inst.min_qty !== null && qty < inst.min_qty) return none(`No intent: ${sized}${noteText}; below min_qty ${inst.min_qty}.`);
  const notional = qty * entry;
  if (inst.min_notional !== null && notional < inst.min_notional) {
    return none(`No intent: ${sized}${noteText}; notional ${f(notional)} below min_notional ${inst.min_notional}.`);
  }

  const targets = idea.targets;
  const fractions =
    params.tp_fractions.length === targets.length ? params.tp_fractions : targets.map(() => 1 / targets.length);
  const riskAmount = qty * dist;
  const riskPct = (riskAmount / equity) * 100;
  return {
    outputs: {
      intents: [
        {
          symbol: view.symbol,
          side: sign > 0 ? 'buy' : 'sell',
          qty,
          entry,
          stop,
          take_profits: targets.map((price, i) => ({ price, fraction: fractions[i]! })),
          leverage: 1,
          risk_pct: riskPct,
          risk_amount: riskAmount,
          notional,
        },
      ],
    },
    rationale:
      `${sized}${noteText}. Notional ${f(notional)} ${currency}, realised risk ${f(riskAmount)} ${currency} = ${riskPct.toFixed(4)}% of equity. ` +
      `Take-profits ${targets.map((t, i) => `${f(fractions[i]! * 100, 1)}% at ${px(t)}`).join(', ')}` +
      `${params.tp_fractions.length === targets.length ? '' : ` (equal split: ${params.tp_fractions.length} fractions for ${targets.length} targets)`}.`,
  };
};
