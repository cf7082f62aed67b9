import { z } from 'zod';

/**
 * `run_when` conditions on context values, e.g.
 * `{"key": "market_state.regime", "op": "in", "value": ["trending"]}` or
 * `{"all": [{...}, {"not": {...}}]}`. `key` is a dotted path whose first segment is a context key.
 */
const Leaf = z
  .object({
    key: z.string().regex(/^[a-z_]+(\.[a-zA-Z0-9_]+)*$/, 'a dotted context path like market_state.regime'),
    op: z.enum(['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'exists']),
    value: z.unknown().optional(),
  })
  .strict()
  .refine((c) => c.op === 'exists' || c.value !== undefined, 'value is required for every op except exists')
  .refine((c) => !['in', 'not_in'].includes(c.op) || Array.isArray(c.value), 'in/not_in need an array value')
  .refine(
    (c) => !['gt', 'gte', 'lt', 'lte'].includes(c.op) || typeof c.value === 'number',
    'gt/gte/lt/lte need a number value',
  );

export type Condition = z.infer<typeof Leaf> | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    Leaf,
    z.object({ all: z.array(Condition).min(1) }).strict(),
    z.object({ any: z.array(Condition).min(1) }).strict(),
    z.object({ not: Condition }).strict(),
  ]),
);

/** The context keys a condition reads (first path segments). */
export function conditionKeys(c: Condition): string[] {
  if ('all' in c) return c.all.flatMap(conditionKeys);
  if ('any' in c) return c.any.flatMap(conditionKeys);
  if ('not' in c) return conditionKeys(c.not);
  return [c.key.split('.')[0]!];
}

function pick(context: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = context;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function evaluateCondition(c: Condition, context: Readonly<Record<string, unknown>>): boolean {
  if ('all' in c) return c.all.every((x) => evaluateCondition(x, context));
  if ('any' in c) return c.any.some((x) => evaluateCondition(x, context));
  if ('not' in c) return !evaluateCondition(c.not, context);
  const v = pick(context, c.key);
  switch (c.op) {
    case 'exists':
      return v !== undefined && v !== null;
    case 'eq':
      return v === c.value;
    case 'neq':
      return v !== c.value;
    case 'in':
      return (c.value as unknown[]).includes(v);
    case 'not_in':
      return !(c.value as unknown[]).includes(v);
    case 'gt':
      return typeof v === 'number' && v > (c.value as number);
    case 'gte':
      return typeof v === 'number' && v >= (c.value as number);
    case 'lt':
      return typeof v === 'number' && v < (c.value as number);
    case 'lte':
      return typeof v === 'number' && v <= (c.value as number);
  }
}

/** The condition as one readable line, for logs and the plan view. */
export function describeCondition(c: Condition): string {
  if ('all' in c) return `(${c.all.map(describeCondition).join(' and ')})`;
  if ('any' in c) return `(${c.any.map(describeCondition).join(' or ')})`;
  if ('not' in c) return `not ${describeCondition(c.not)}`;
  return c.op === 'exists' ? `${c.key} exists` : `${c.key} ${c.op} ${JSON.stringify(c.value)}`;
}
