import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The client order id of one order leg: the same decision always yields the same id, so
 * an order whose outcome is unknown (a timeout, a crash) is asked about by that id and is
 * never sent twice under a new one. Binance accepts `^[.A-Za-z0-9:/_-]{1,36}$`; the id is
 * `tr-<leg>-<24 hex digits of sha256>` (at most 36 characters), readable in the exchange's
 * order list, and 96 bits of hash keep distinct decisions apart.
 */
export const OrderLeg = z
  .string()
  .regex(/^[a-z0-9]{1,8}$/, 'a leg is 1 to 8 lower-case letters or digits (entry, stop, tp1, close)');

export const ClientOrderIdInput = z.object({
  /** The pipeline (or strategy) that decided. */
  pipeline: z.string().min(1),
  symbol: z.string().min(1),
  /** The decision time: the candle close the decision was made on, ms since epoch. */
  tick: z.number().int().nonnegative(),
  /** Which order of the decision: entry, stop, tp1, tp2, close, ... */
  leg: OrderLeg,
});
export type ClientOrderIdInput = z.infer<typeof ClientOrderIdInput>;

/** Binance's rule for newClientOrderId, which the database checks too. */
export const clientOrderIdPattern = /^[.A-Za-z0-9:/_-]{1,36}$/;

export function clientOrderId(input: ClientOrderIdInput): string {
  const { pipeline, symbol, tick, leg } = ClientOrderIdInput.parse(input);
  // JSON keeps the fields apart: ('a|b', 'c') and ('a', 'b|c') hash differently.
  const digest = createHash('sha256')
    .update(JSON.stringify([pipeline, symbol, tick, leg]))
    .digest('hex');
  return `tr-${leg}-${digest.slice(0, 24)}`;
}
