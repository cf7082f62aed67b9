/** Small measuring and printing helpers for the bench. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `fn` `warmup` times unmeasured, then `reps` times; returns each measured duration in ms. */
export async function timeRepeated(reps: number, warmup: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export interface Row {
  figure: string;
  backend: string;
  median: string;
  /** min..max of the same repetitions, to show the spread. */
  range: string;
  reps: string;
  notes: string;
}

/** 'min..max' of `values` with `digits` decimals. */
export const spread = (values: readonly number[], digits = 1) =>
  `${fmt(Math.min(...values), digits)}..${fmt(Math.max(...values), digits)}`;

export const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** Plain-text table, columns padded to their widest cell. */
export function renderTable(rows: readonly Row[]): string {
  const cols: (keyof Row)[] = ['figure', 'backend', 'median', 'range', 'reps', 'notes'];
  const head: Row = {
    figure: 'measurement',
    backend: 'backend',
    median: 'median',
    range: 'min..max',
    reps: 'repetitions',
    notes: 'what / how',
  };
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: Row) => cols.map((c, i) => (i === cols.length - 1 ? r[c] : r[c].padEnd(width[i]!))).join(' | ');
  const sep = cols.map((_, i) => '-'.repeat(i === cols.length - 1 ? Math.min(width[i]!, 40) : width[i]!)).join('-+-');
  return [line(head), sep, ...rows.map(line)].join('\n');
}
