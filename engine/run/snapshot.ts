/**
 * Bounded copies of context values for logs: long arrays keep their length and last
 * few items, and a snapshot over the byte limit is replaced by its key list. Keeps
 * pipeline_log rows small however big the candles are.
 */
const keepLast = 5;
const maxBytes = 16_384;

function shrink(value: unknown, depth: number): unknown {
  if (Array.isArray(value)) {
    if (value.length <= keepLast * 2) return value.map((v) => shrink(v, depth + 1));
    return { length: value.length, last: value.slice(-keepLast).map((v) => shrink(v, depth + 1)) };
  }
  if (value !== null && typeof value === 'object') {
    if (depth > 6) return '[nested]';
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shrink(v, depth + 1)]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

export function boundedSnapshot(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const small = shrink(value, 0) as Record<string, unknown>;
  if (JSON.stringify(small).length <= maxBytes) return small;
  return {
    truncated: true,
    keys: Object.keys(value)
      .slice(0, 50)
      .map((k) => k.slice(0, 64)),
  };
}
