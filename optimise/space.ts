import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';

/**
 * A study's search space. Each dimension is one module parameter, named
 * `<module_id>.<param>`; its kind and bounds come from the module's params schema (its
 * integer, minimum, maximum, enum and boolean declarations), and a study file may narrow
 * them. The samplers work in a unit cube: every dimension maps [0, 1] onto its values, so
 * one sampler serves periods, multipliers and switches alike.
 */
const Value = z.union([z.string(), z.number(), z.boolean()]);

export const Dimension = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('int'), low: z.number().int(), high: z.number().int(), log: z.boolean() }),
  z.object({ kind: z.literal('float'), low: z.number(), high: z.number(), log: z.boolean() }),
  z.object({ kind: z.literal('choice'), values: z.array(Value).min(1).readonly() }),
]);
export type Dimension = z.infer<typeof Dimension>;

export type Space = ReadonlyMap<string, Dimension>;
/** One point: a value per dimension name. */
export type Point = Record<string, string | number | boolean>;

interface JsonProp {
  type?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
}

/**
 * The dimensions a module's params schema declares: bounded numbers (integers stay
 * integers), enums and booleans. Arrays, strings and unbounded numbers are not searched
 * (a study file can still fix them); their names come back in `fixed`.
 */
export function moduleDimensions(
  moduleId: string,
  params: z.ZodType,
): { dimensions: Map<string, Dimension>; fixed: string[] } {
  const schema = z.toJSONSchema(params, { io: 'input' }) as { properties?: Record<string, JsonProp> };
  const dimensions = new Map<string, Dimension>();
  const fixed: string[] = [];
  for (const [name, p] of Object.entries(schema.properties ?? {})) {
    const key = `${moduleId}.${name}`;
    const low = p.minimum ?? p.exclusiveMinimum;
    const high = p.maximum ?? p.exclusiveMaximum;
    if (p.enum && p.enum.every((v) => ['string', 'number', 'boolean'].includes(typeof v)))
      dimensions.set(key, { kind: 'choice', values: p.enum as (string | number | boolean)[] });
    else if (p.type === 'boolean') dimensions.set(key, { kind: 'choice', values: [false, true] });
    else if ((p.type === 'integer' || p.type === 'number') && low !== undefined && high !== undefined) {
      // An exclusive bound is kept out by a step inside it: the smallest integer, or a thousandth of the range.
      const inset = (high - low) / 1000;
      const lo = p.exclusiveMinimum !== undefined ? (p.type === 'integer' ? low + 1 : low + inset) : low;
      const hi = p.exclusiveMaximum !== undefined ? (p.type === 'integer' ? high - 1 : high - inset) : high;
      dimensions.set(key, { kind: p.type === 'integer' ? 'int' : 'float', low: lo, high: hi, log: false });
    } else fixed.push(key);
  }
  return { dimensions, fixed };
}

/** Narrows `space` to `narrowing` (a study file's `space:` section): only the named dimensions, within their declared bounds. */
export function narrowSpace(
  space: Space,
  narrowing: Record<string, { low?: number; high?: number; log?: boolean; values?: unknown[] }>,
): Map<string, Dimension> {
  const out = new Map<string, Dimension>();
  for (const [name, n] of Object.entries(narrowing)) {
    const d = space.get(name);
    if (!d)
      throw new TraderError(
        'BAD_INPUT',
        `The study names ${quote(name)}, which is not a searchable parameter of the strategy's modules (known: ${[...space.keys()].join(', ')}).`,
      );
    if (d.kind === 'choice') {
      const values = n.values ?? d.values;
      const unknown = values.filter((v) => !d.values.includes(v as string | number | boolean));
      if (unknown.length > 0 || values.length === 0)
        throw new TraderError(
          'BAD_INPUT',
          `The study's values for ${quote(name)} must be a non-empty subset of ${JSON.stringify(d.values)}.`,
        );
      out.set(name, { kind: 'choice', values: values as (string | number | boolean)[] });
      continue;
    }
    const low = n.low ?? d.low;
    const high = n.high ?? d.high;
    if (!(low >= d.low && high <= d.high && low <= high) || (d.kind === 'int' && !Number.isInteger(low + high)))
      throw new TraderError(
        'BAD_INPUT',
        `The study's range for ${quote(name)} must lie within ${d.low}..${d.high}${d.kind === 'int' ? ' and be whole numbers' : ''} (low <= high); it says ${low}..${high}.`,
      );
    const log = n.log ?? d.log;
    if (log && low <= 0)
      throw new TraderError(
        'BAD_INPUT',
        `The study asks a log scale for ${quote(name)}, whose range starts at ${low}; a log scale needs a positive low.`,
      );
    out.set(name, { ...d, low, high, log });
  }
  return out;
}

/** An integer dimension's scale: each integer owns [k - 0.5, k + 0.5] (a log scale needs low >= 1, see narrowSpace). */
const intScale = (d: { low: number; high: number; log: boolean }): [number, number] =>
  d.log ? [Math.log(d.low - 0.5), Math.log(d.high + 0.5)] : [d.low - 0.5, d.high + 0.5];

/** The value of dimension `d` at unit coordinate `u` in [0, 1]. Integers get equal shares of the unit interval. */
export function decode(d: Dimension, u: number): string | number | boolean {
  const t = Math.min(1, Math.max(0, u));
  if (d.kind === 'choice') return d.values[Math.min(d.values.length - 1, Math.floor(t * d.values.length))]!;
  if (d.kind === 'int') {
    const [lo, hi] = intScale(d);
    const x = lo + t * (hi - lo);
    return Math.min(d.high, Math.max(d.low, Math.round(d.log ? Math.exp(x) : x)));
  }
  if (d.log) return Math.exp(Math.log(d.low) + t * (Math.log(d.high) - Math.log(d.low)));
  return d.low + t * (d.high - d.low);
}

/** The unit coordinate of a value (the centre of its share for integers and choices): the inverse of decode. */
export function encode(d: Dimension, value: string | number | boolean): number {
  if (d.kind === 'choice') return (d.values.indexOf(value) + 0.5) / d.values.length;
  const v = value as number;
  if (d.kind === 'int') {
    const [lo, hi] = intScale(d);
    return ((d.log ? Math.log(v) : v) - lo) / (hi - lo);
  }
  if (d.high === d.low) return 0.5;
  return d.log
    ? (Math.log(v) - Math.log(d.low)) / (Math.log(d.high) - Math.log(d.low))
    : (v - d.low) / (d.high - d.low);
}
