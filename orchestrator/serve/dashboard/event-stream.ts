import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { lastEventSeq } from '../../../trading/events/bus-events.ts';
import { tailEvents } from '../../../trading/events/tail-events.ts';
import type { ServerDeps } from '../route-types.ts';
import type { DashboardEnv } from './session-guard.ts';

/** Comment lines keep proxies from closing a quiet stream and let a dead client be noticed. */
const heartbeatMs = 25_000;

/**
 * `GET /ui/events`: the event bus of this system mode (and SYSTEM) as Server-Sent Events.
 * Each event's id is its seq, so a browser that reconnects (after the server restarted,
 * say) sends Last-Event-ID and misses nothing. Only the kind of event goes to the page;
 * the page then reads what changed the way it reads everything, through its own request.
 */
export function mountEventStream(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/events', (c) => {
    const sent = Number(c.req.header('last-event-id'));
    return streamSSE(c, async (stream) => {
      const done = new AbortController();
      const stop = () => done.abort();
      stream.onAbort(stop);
      deps.stopping.addEventListener('abort', stop, { once: true });
      const beat = setInterval(() => void stream.write(': ping\n\n'), heartbeatMs);
      try {
        const after = Number.isSafeInteger(sent) && sent >= 0 ? sent : await lastEventSeq(deps.db);
        await stream.writeSSE({ event: 'hello', data: JSON.stringify({ after }), retry: 2000 });
        await tailEvents(deps.db, {
          after,
          modes: [deps.scope.mode, 'SYSTEM'],
          signal: done.signal,
          onEvent: (e) =>
            stream.writeSSE({
              id: String(e.seq),
              event: 'bus',
              data: JSON.stringify({ seq: e.seq, mode: e.mode, event_type: e.event_type }),
            }),
        });
      } finally {
        clearInterval(beat);
        deps.stopping.removeEventListener('abort', stop);
      }
    });
  });
}
