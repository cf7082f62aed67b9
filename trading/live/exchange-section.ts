/**
 * One LIVE exchange conversation at a time in this process. `trader serve` runs pipeline
 * runs (HTTP) and the periodic supervision and reconciliation side by side; both recover
 * unsettled orders and protect open positions, and two of them racing over one position
 * could send the same client order id twice (the second answer would then be read as a
 * refusal). A LIVE run and a tick therefore queue for this section, in arrival order.
 * Not re-entrant: code inside the section never asks for it again.
 */
let tail: Promise<unknown> = Promise.resolve();

export function withLiveExchange<T>(work: () => Promise<T>): Promise<T> {
  const mine = tail.then(work, work);
  tail = mine.catch(() => undefined);
  return mine;
}
