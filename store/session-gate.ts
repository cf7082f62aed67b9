/**
 * The one door to an embedded database that several parties share: the process holding it
 * and each client connected through its socket. PGlite is a single Postgres session, so a
 * party keeps the gate from its first statement until it is idle again (no transaction
 * open, no half-sent extended-protocol exchange); nobody's statements run inside anyone
 * else's transaction. Waiters are served first come, first served.
 */
export class SessionGate {
  private owner: string | null = null;
  /** Who ran last: when a socket client is followed by anyone else, the session's settings are reset. */
  private last: string | null = null;
  private readonly waiters: { party: string; resolve: () => void; reject: (e: Error) => void }[] = [];

  /**
   * `onHandoff` runs, holding the gate, when a party follows a different one that `leavesState`
   * (a socket client may have run `set ...`; the holder only uses `set local`).
   */
  constructor(
    private readonly onHandoff: () => Promise<void> = async () => {},
    private readonly leavesState: (party: string) => boolean = () => true,
  ) {}

  get holder(): string | null {
    return this.owner;
  }

  /** How many parties wait for the gate. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Waits for the gate; a party that already holds it passes straight through. */
  async acquire(party: string): Promise<void> {
    if (this.owner === party) return;
    if (this.owner !== null || this.waiters.length > 0) {
      await new Promise<void>((resolve, reject) => this.waiters.push({ party, resolve, reject }));
      // release() handed the gate to us; a disconnect may have taken it back before we resumed.
      if (this.owner !== party) throw new Error('Handler disconnected');
    }
    this.owner = party;
    if (this.last !== null && this.last !== party && this.leavesState(this.last)) {
      try {
        await this.onHandoff();
      } catch (e) {
        this.release(party);
        throw e;
      }
    }
    this.last = party;
  }

  release(party: string): void {
    if (this.owner !== party) return;
    this.owner = null;
    const next = this.waiters.shift();
    if (next) {
      this.owner = next.party; // reserved, so nobody overtakes the first waiter
      next.resolve();
    }
  }

  /** Drops a departed party's waits (its connection closed while it waited). */
  forget(party: string, reason: Error): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.party === party) this.waiters.splice(i, 1)[0]!.reject(reason);
    }
  }

  /** Runs `fn` holding the gate, then lets the next party in. */
  async run<T>(party: string, fn: () => Promise<T>): Promise<T> {
    await this.acquire(party);
    try {
      return await fn();
    } finally {
      this.release(party);
    }
  }
}
