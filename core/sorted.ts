/** Binary searches over ascending number arrays (timestamps, indexes). */

/** Number of elements of ascending `xs` that are < `limit`: the first index with xs[i] >= limit. */
export function countBefore(xs: readonly number[], limit: number): number {
  return firstIndex(xs, (x) => x >= limit);
}

/** Number of elements of ascending `xs` that are <= `limit` (so the last such is at result − 1). */
export function countAtOrBefore(xs: readonly number[], limit: number): number {
  return firstIndex(xs, (x) => x > limit);
}

/** The first index whose element passes `past` (which, along ascending `xs`, turns true once and stays true). */
function firstIndex(xs: readonly number[], past: (x: number) => boolean): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(xs[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
