import type { Db } from '../../store/db.ts';
import { type BusEvent, readEvents } from './bus-events.ts';

export interface TailOptions {
  /** Events after this seq (0: from the first kept). */
  after: number;
  /** Only events of these modes. */
  modes: readonly BusEvent['mode'][];
  signal: AbortSignal;
  onEvent: (e: BusEvent) => void | Promise<void>;
  /** How long to wait for a notification before reading anyway (ms). */
  pollMs?: number;
  /** Return once every event committed so far was delivered, instead of waiting for more. */
  untilCaughtUp?: boolean;
}

const batch = 500;

/**
 * Follows the event bus from `after` until `signal` aborts, in seq order, each event once.
 * Woken by NOTIFY where the connection can LISTEN; it reads again after `pollMs` in any
 * case, so an event committed through the embedded database's socket (which no NOTIFY
 * reaches) arrives all the same, a little later. Resolves with the last seq delivered.
 */
export async function tailEvents(db: Db, o: TailOptions): Promise<number> {
  let cursor = o.after;
  let notified: boolean;
  let wake: (() => void) | null = null;
  const unlisten = await db.listen?.('trader_events', () => {
    notified = true;
    wake?.();
  });
  // The embedded database's holder hears its own commits only; its socket clients' it reads by polling.
  const pollMs = o.pollMs ?? (unlisten && db.kind === 'postgres' ? 5000 : 1000);
  try {
    while (!o.signal.aborted) {
      notified = false;
      const events = await readEvents(db, cursor, o.modes, batch);
      for (const e of events) {
        if (o.signal.aborted) break;
        await o.onEvent(e);
        cursor = e.seq;
      }
      if (events.length === batch || notified || o.signal.aborted) continue;
      if (o.untilCaughtUp) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = null;
          o.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        wake = done;
        o.signal.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    await unlisten?.();
  }
  return cursor;
}
