/**
 * Spot balances of the simulated account: free and locked per asset, 8 decimals like
 * Binance. Orders lock what they may spend; fills move amounts; nothing goes negative.
 */

export interface AssetBalance {
  free: number;
  locked: number;
}

/** What an open order (or an OCO list, shared by its legs) still holds locked. */
export interface Lock {
  asset: string;
  amount: number;
}

/** Thrown when free is short; routes answer Binance's -2010. */
export class InsufficientBalance extends Error {}

export const round8 = (x: number): number => Number(x.toFixed(8));

export class Balances {
  private readonly assets = new Map<string, AssetBalance>();

  constructor(initial: Record<string, number> = {}) {
    for (const [asset, free] of Object.entries(initial)) this.set(asset, free);
  }

  get(asset: string): AssetBalance {
    return { ...(this.assets.get(asset) ?? { free: 0, locked: 0 }) };
  }

  /** Sets an asset's balance (a test or demo funding the account). */
  set(asset: string, free: number, locked = 0): void {
    if (!(free >= 0) || !(locked >= 0)) throw new Error(`balance of ${asset} must be >= 0`);
    this.assets.set(asset, { free: round8(free), locked: round8(locked) });
  }

  /** Moves `amount` from free to locked, or throws InsufficientBalance. */
  lock(asset: string, amount: number): Lock {
    const b = this.get(asset);
    if (round8(b.free - amount) < 0) throw new InsufficientBalance(asset);
    this.assets.set(asset, { free: round8(b.free - amount), locked: round8(b.locked + amount) });
    return { asset, amount: round8(amount) };
  }

  /** Returns `amount` (at most what the lock holds) from locked to free. */
  release(lock: Lock, amount = lock.amount): void {
    const a = Math.min(amount, lock.amount);
    const b = this.get(lock.asset);
    this.assets.set(lock.asset, { free: round8(b.free + a), locked: round8(Math.max(0, b.locked - a)) });
    lock.amount = round8(lock.amount - a);
  }

  credit(asset: string, amount: number): void {
    const b = this.get(asset);
    this.assets.set(asset, { free: round8(b.free + amount), locked: b.locked });
  }

  /** Takes `amount` from free, or throws InsufficientBalance. */
  debit(asset: string, amount: number): void {
    const b = this.get(asset);
    if (round8(b.free - amount) < 0) throw new InsufficientBalance(asset);
    this.assets.set(asset, { free: round8(b.free - amount), locked: b.locked });
  }

  /** Every asset ever funded or touched, sorted by name. */
  snapshot(): Record<string, AssetBalance> {
    return Object.fromEntries(
      [...this.assets.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v }]),
    );
  }
}
