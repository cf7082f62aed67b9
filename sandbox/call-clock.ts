/**
 * Which module call the worker is in, and since when, in memory shared with the main
 * thread: the worker writes it around every call (a few stores, no message), the
 * watchdog reads it. A message per call would cost more than most module calls.
 */
export class CallClock {
  private readonly flags: Int32Array;
  private readonly times: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(40)) {
    this.flags = new Int32Array(buffer, 0, 2);
    this.times = new Float64Array(buffer, 8, 4);
  }

  /** Worker side: a call (or, `loading`, the import) of the module known as `moduleId` (a label index) starts, with `limitMs` to finish. */
  begin(moduleId: number, limitMs: number, loading = false): void {
    this.times[0] = Date.now();
    this.times[1] = limitMs;
    this.times[2] = loading ? 1 : 0;
    this.flags[1] = moduleId;
    Atomics.store(this.flags, 0, 1);
  }

  end(): void {
    Atomics.store(this.flags, 0, 0);
  }

  /** Worker side: a pass (a backtest bar, its module calls together) starts now. */
  pass(): void {
    this.times[3] = Date.now();
  }

  /** Main side: how long the current pass has been running (0 before the first). */
  passElapsed(now: number): number {
    const started = this.times[3]!;
    return started > 0 ? now - started : 0;
  }

  /** Main side: the call in progress and how long it has been running, or null between calls. */
  current(now: number): { moduleId: number; elapsedMs: number; limitMs: number; loading: boolean } | null {
    if (Atomics.load(this.flags, 0) !== 1) return null;
    return {
      moduleId: this.flags[1]!,
      elapsedMs: now - this.times[0]!,
      limitMs: this.times[1]!,
      loading: this.times[2] === 1,
    };
  }
}
