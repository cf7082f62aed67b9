import { bestIdea, defineManifest, fixed as f, type ModuleRun, px, z } from '../../sdk/index.ts';

/**
 * Take-profit ladder at R multiples of the stop plan's risk.
 *
 * R = |entry - stop| from stop_plan; rung i sits at entry + r_multiples[i] x R for a long
 * (entry - r_multiples[i] x R for a short) and closes fractions[i] of the position.
 * r_multiples are strictly increasing, fractions sum to 1 and have one entry per rung.
 * breakeven_after_tp: the stop moves to entry after that many rungs fill (null = never);
 * time_stop_bars: close after that many bars without a target (null = none). The sizer
 * (fixed_fractional_v2) carries both into the intent; the paper monitor, the backtest and the
 * live broker enforce them (trading/exit-rules.ts).
 * The stop plan must belong to the best-scored idea (ties: higher rr, then the first): same
 * direction and entry, else no exit plan. No exit plan either when a short's rung would not be
 * a positive price.
 */
export const manifest = defineManifest({
  module_id: 'tp_ladder_v1',
  version: '1.0.0',
  logic_type: 'risk',
  description:
    'Builds a scale-out take-profit ladder at R multiples of the stop distance, with breakeven and time-stop rules.',
  input_keys: ['ideas', 'stop_plan'],
  output_keys: ['exit_plan'],
  params: z
    .object({
      r_multiples: z
        .array(z.number().positive().max(100))
        .min(1)
        .max(10)
        .default([1.5, 3])
        .describe('take-profit distances from entry in R (the stop distance), strictly increasing'),
      fractions: z
        .array(z.number().positive().max(1))
        .min(1)
        .max(10)
        .default([0.5, 0.5])
        .describe('fraction of the position closed at each rung, one per r_multiple, summing to 1'),
      breakeven_after_tp: z
        .number()
        .int()
        .min(0)
        .max(10)
        .nullable()
        .default(1)
        .describe('move the stop to entry after this many take-profits fill; null = never'),
      time_stop_bars: z
        .number()
        .int()
        .positive()
        .max(100_000)
        .nullable()
        .default(48)
        .describe('close the trade after this many bars if no target was hit; null = none'),
    })
    .strict()
    .refine((p) => p.r_multiples.every((r, i) => i === 0 || r > p.r_multiples[i - 1]!), {
      message: 'r_multiples must be strictly increasing',
      path: ['r_multiples'],
    })
    .refine((p) => p.fractions.length === p.r_multiples.length, {
      message: 'fractions needs one entry per r_multiple',
      path: ['fractions'],
    })
    .refine((p) => Math.abs(p.fractions.reduce((s, x) => s + x, 0) - 1) < 1e-9, {
      message: 'fractions must sum to 1',
      path: ['fractions'],
    })
    .refine((p) => p.breakeven_after_tp === null || p.breakeven_after_tp <= p.r_multiples.length, {
      message: 'breakeven_after_tp cannot exceed the number of rungs',
      path: ['breakeven_after_tp'],
    }),
});

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const none = (why: string) => ({ outputs: {}, rationale: why });
  if (view.ideas.length === 0) return none('No exit plan: there is no idea.');
  const idea = bestIdea(view.ideas);
  const plan = view.stop_plan;
  if (plan.direction !== idea.direction || Math.abs(plan.entry - idea.entry) > 1e-9 * Math.abs(idea.entry)) {
    return none(
      `No exit plan: the stop plan (${plan.direction} entry ${px(plan.entry)}) is not for the best idea (${idea.direction} entry ${px(idea.entry)}).`,
    );
  }
  const sign = plan.direction === 'long' ? 1 : -1;
  const risk = sign * (plan.entry - plan.stop);
  if (!(risk > 0))
    return none(`No exit plan: the stop ${px(plan.stop)} is not on the loss side of the entry ${px(plan.entry)}.`);
  const prices = params.r_multiples.map((r) => plan.entry + sign * r * risk);
  const rungs = params.r_multiples.map((r, i) => `${f(params.fractions[i]! * 100, 1)}% at ${r}R = ${px(prices[i]!)}`);
  const head = `${plan.direction} entry ${px(plan.entry)}, stop ${px(plan.stop)} (${plan.method}), R = ${px(risk)}`;
  const bad = prices.findIndex((p) => !(p > 0));
  if (bad >= 0)
    return none(
      `No exit plan: ${head}; the ${params.r_multiples[bad]}R target ${px(prices[bad]!)} is not a positive price.`,
    );
  const be =
    params.breakeven_after_tp === null
      ? 'stop never moved to breakeven'
      : params.breakeven_after_tp === 0
        ? 'stop at breakeven from the start'
        : `stop to breakeven after ${params.breakeven_after_tp} take-profit(s)`;
  const ts =
    params.time_stop_bars === null ? 'no time stop' : `time stop after ${params.time_stop_bars} bars without a target`;
  return {
    outputs: {
      exit_plan: {
        take_profits: prices.map((price, i) => ({ price, fraction: params.fractions[i]! })),
        breakeven_after_tp: params.breakeven_after_tp,
        time_stop_bars: params.time_stop_bars,
      },
    },
    rationale: `Exit plan: ${head}; take-profits ${rungs.join(', ')}; ${be}; ${ts}.`,
  };
};
