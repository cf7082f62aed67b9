/**
 * Number formatting for rationales. Many modules print prices the same way; sharing the helpers
 * keeps their rationales consistent (tests assert exact strings, so these must not change).
 */

/** Fixed decimals (default 2), e.g. scores, percents, money. */
export const fixed = (x: number, d = 2): string => x.toFixed(d);

/** Prices and price distances: 2 decimals from 1 up, 4 significant digits below (sub-cent coins). */
export const px = (x: number): string => (Math.abs(x) >= 1 || x === 0 ? x.toFixed(2) : x.toPrecision(4));

/** Clamps to [0, 1], e.g. a confidence. */
export const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
