import fs from 'node:fs';
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import type { SessionGate } from './session-gate.ts';

/** Messages after which the server answers ReadyForQuery: simple Query, Sync, Terminate, and the startup packet. */
const Query = 0x51;
const Sync = 0x53;
const Terminate = 0x58;
const protocol3 = 196608;

function endsExchange(message: Uint8Array): boolean {
  if (message[0] === Query || message[0] === Sync || message[0] === Terminate) return true;
  return message[0] === 0 && message.length >= 8 && Buffer.from(message).readInt32BE(4) === protocol3;
}

/**
 * Stands in for pglite-socket's own query queue, which interleaves clients message by
 * message: one client's Parse could be bound by another's Bind, and the holder's own
 * transactions were not part of its arbitration at all. Here a client keeps the session
 * gate from its first message until it is idle again (see SessionGate).
 */
class GatedQueue {
  constructor(
    private readonly pglite: PGlite,
    private readonly gate: SessionGate,
  ) {}

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    const party = `client:${handlerId}`;
    await this.gate.acquire(party);
    let bytes = 0;
    await this.pglite.runExclusive(() =>
      this.pglite.execProtocolRawStream(message, {
        onRawData: (data) => {
          bytes += data.length;
          onData(data);
        },
      }),
    );
    if (endsExchange(message) && !this.pglite.isInTransaction()) this.gate.release(party);
    return bytes;
  }

  getQueueLength(): number {
    return 0;
  }

  clearQueueForHandler(handlerId: number): void {
    this.gate.forget(`client:${handlerId}`, new Error('Handler disconnected'));
  }

  /** A client that left mid-transaction has its transaction rolled back, never committed half-way. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    const party = `client:${handlerId}`;
    if (this.gate.holder !== party) return;
    try {
      if (this.pglite.isInTransaction()) await this.pglite.exec('rollback');
    } finally {
      this.gate.release(party);
    }
  }
}

export interface SocketShare {
  readonly path: string;
  /** Stops listening, disconnects clients (rolling back their open transactions) and removes the socket. */
  stop(): Promise<void>;
}

/** Serves `pglite` over the Postgres wire protocol on the Unix socket `socketPath`, readable by this user only. */
export async function shareOverSocket(pglite: PGlite, gate: SessionGate, socketPath: string): Promise<SocketShare> {
  const queue = new GatedQueue(pglite, gate);
  const handlers = new Set<PGLiteSocketHandler>();
  const server = net.createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The directory is 0700 already; the socket itself is narrowed too, in case the directory is ever widened.
  fs.chmodSync(socketPath, 0o600);
  server.on('error', () => {}); // a failing client connection must not take the holder down
  return {
    path: socketPath,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...handlers].map((h) => h.detach(true)));
      await closed;
      fs.rmSync(socketPath, { force: true });
    },
  };
}
