import { isViewColumn } from './as-of-view.ts';

/**
 * Context values are frozen once when written, so every later view is read-only for
 * free. A backtest's candle columns are the exception: they grow with the replay clock
 * (see as-of-view.ts), so they are left as they are.
 */
export function deepFreeze<T>(value: T): T {
  if (
    value !== null &&
    typeof value === 'object' &&
    !Object.isFrozen(value) &&
    !(Array.isArray(value) && isViewColumn(value))
  ) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
