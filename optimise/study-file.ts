import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import type { Tie } from './trial-plan.ts';

/**
 * A study file (`trader optimise --study file.yaml`): per strategy, the dimensions to search
 * (each narrowed within its module's declared bounds), ties between them and values fixed for
 * every trial. Example:
 *
 *   strategies:
 *     breakout:
 *       space:
 *         breakout_v1.lookback: { low: 10, high: 120 }
 *         atr_stop_v1.atr_mult: { low: 1, high: 4, log: true }
 *         breakout_v1.with_trend_only: { values: [true] }
 *       ties: ["breakout_retest_v1.lookback <= breakout_v1.lookback"]
 *       fixed: { fvg_v1.allow_short: false }
 */
const Narrowing = z.strictObject({
  low: z.number().optional(),
  high: z.number().optional(),
  log: z.boolean().optional(),
  values: z
    .array(z.union([z.string(), z.number(), z.boolean()]))
    .min(1)
    .optional(),
});

export const StudyFileStrategy = z.strictObject({
  space: z.record(z.string(), Narrowing),
  ties: z.array(z.string()).default([]),
  fixed: z.record(z.string(), z.unknown()).default({}),
});
export type StudyFileStrategy = z.input<typeof StudyFileStrategy>;

export const StudyFile = z.strictObject({ strategies: z.record(z.string(), StudyFileStrategy) });

/** `a < b` or `a <= b` between two dimension names. */
export function parseTie(text: string): Tie {
  const m = /^\s*([\w.]+)\s*(<=|<)\s*([\w.]+)\s*$/.exec(text);
  if (!m)
    throw new TraderError(
      'BAD_INPUT',
      `The tie ${JSON.stringify(text)} is not of the form "module.param < module.param" (or <=).`,
    );
  return { left: m[1]!, op: m[2] as Tie['op'], right: m[3]! };
}
