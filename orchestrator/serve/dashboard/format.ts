/** How the dashboard writes numbers and times: the same everywhere, in UTC. */

export const when = (d: Date | null | undefined): string =>
  d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '-';

export const pct = (x: number): string => `${x.toFixed(2)}%`;

export const num = (x: number | null | undefined): string =>
  x === null || x === undefined ? '-' : String(Number(x.toPrecision(8)));

export const money = (x: number, currency: string): string =>
  `${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;

/** A ratio or score to two decimals; '-' when undefined (no trades, no variance). */
export const fixed = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined ? '-' : x.toFixed(digits);

/** An age in seconds, rounded to its largest unit: `4 s ago`, `3 min ago`, `2 h ago`, `5 d ago`. */
export function ago(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s ago`;
  if (s < 7_200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3_600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
