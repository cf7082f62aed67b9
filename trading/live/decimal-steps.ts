/**
 * Exact rounding of a number to a multiple of a step (a lot size or a tick size). Binary
 * floating point cannot do it by division (0.3 / 0.1 = 2.9999999999999996 would round
 * 0.3 down to 0.2), so both values are read as the decimals they print as and rounded as
 * integers. Rounding the decimal down and converting back is monotonic, so a result
 * rounded down is never above the input.
 */

/** The decimal digits of x as printed (1e-7 → 7, 0.25 → 2, 5 → 0). */
function decimals(x: number): number {
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** x × 10^d as an exact integer; x has at most d decimals. */
function scaled(x: number, d: number): bigint {
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  const [whole, fraction = ''] = mantissa.split('.');
  const shift = d + Number(exponent) - fraction.length;
  const digits = BigInt(`${whole}${fraction}`);
  return shift >= 0 ? digits * 10n ** BigInt(shift) : digits / 10n ** BigInt(-shift);
}

function unscaled(units: bigint, d: number): number {
  const negative = units < 0n;
  const text = (negative ? -units : units).toString().padStart(d + 1, '0');
  const point = text.length - d;
  return Number(`${negative ? '-' : ''}${text.slice(0, point)}.${text.slice(point) || '0'}`);
}

/** x rounded to a multiple of step, down (toward zero for x ≥ 0) or up. */
export function roundToStep(x: number, step: number, direction: 'down' | 'up'): number {
  if (!(step > 0) || !Number.isFinite(x) || x < 0) throw new RangeError(`cannot round ${x} to the step ${step}`);
  const d = Math.max(decimals(x), decimals(step));
  const units = scaled(x, d);
  const stepUnits = scaled(step, d);
  const down = (units / stepUnits) * stepUnits;
  return unscaled(direction === 'up' && down < units ? down + stepUnits : down, d);
}

/**
 * Exact decimal arithmetic on numbers read as the decimals they print as, for money moved
 * by fills: 0.01 - 0.00001 is 0.00999, not 0.009990000000000001, so a wallet booked from
 * the exchange's decimals keeps exactly the exchange's balance.
 */
export function exactSum(...terms: number[]): number {
  const d = Math.max(0, ...terms.map(decimals));
  const total = terms.reduce((sum, t) => sum + (t < 0 ? -scaled(-t, d) : scaled(t, d)), 0n);
  return unscaled(total, d);
}

export function exactProduct(a: number, b: number): number {
  const [da, db] = [decimals(a), decimals(b)];
  const negative = a < 0 !== b < 0;
  const units = scaled(Math.abs(a), da) * scaled(Math.abs(b), db);
  return unscaled(negative ? -units : units, da + db);
}
