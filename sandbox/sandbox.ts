import { Worker } from 'node:worker_threads';
import { TraderError, errorCodes, type ErrorCode } from '../core/errors.ts';
import { CallClock } from './call-clock.ts';
import { callLimitSentence, runLimitSentence, seconds } from './limits.ts';
import type { Answer, Replies, Reply, Request, WorkerNote } from './protocol.ts';

/**
 * The main thread's side of the module sandbox: one worker thread (worker.ts) per
 * sandbox, started on first use, and a watchdog that terminates it when a module call
 * outlives its limit (read from the shared clock), when the module time of the run
 * passes its budget, or when the process is asked to stop. The request in flight then
 * fails with one sentence; the next request starts a fresh worker.
 */

const entry = new URL('./worker-entry.js', import.meta.url);
/** How often the watchdog looks at the clock while a request is in flight. */
const WATCH_EVERY_MS = 50;
/** Requests one worker serves before a fresh one replaces it (see `reusable`). */
const MAX_REQUESTS = 10_000;

/** Labels (module_id@version, or a file being imported) by index: the clock holds the index. */
const labels: string[] = [];
export function labelId(label: string): number {
  const i = labels.indexOf(label);
  return i >= 0 ? i : labels.push(label) - 1;
}

/** A sandbox failure: the sentence, and which module (label) it was in, when known. */
export class SandboxError extends TraderError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly module: string | null,
  ) {
    super(code, message);
  }
}

/**
 * Module time the calls of one run may take together; `usedMs` grows with each request.
 * `perPass`: the limit applies to each pass the worker marks on the clock (a replay's bars), not to the request.
 */
export interface RunBudget {
  limitMs: number;
  usedMs: number;
  perPass?: boolean;
}

/** What a request's worker may ask of this thread while it runs (see WorkerNote). */
export interface HostPorts {
  progress?: (done: number, total: number) => void;
  finer?: (index: number, barTs: number) => Promise<unknown>;
}

interface InFlight {
  id: number;
  started: number;
  budget: RunBudget | undefined;
  host: HostPorts;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** The code a worker's TraderError carried, when it is one of ours. */
const knownCode = (code: string | undefined): ErrorCode | undefined =>
  code !== undefined && code in errorCodes ? (code as ErrorCode) : undefined;

const live = new Set<Sandbox>();
/** Set once the process is asked to stop: every later request fails at once with it. */
let interrupted: string | null = null;

export class Sandbox {
  private worker: Worker | null = null;
  private clock = new CallClock();
  private inFlight: InFlight | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  /** Workers started so far: more than one means a runaway module's worker was replaced. */
  workersStarted = 0;

  /** Sends one request; requests run one after another. */
  request<K extends Request['op']>(
    request: Extract<Request, { op: K }>,
    budget?: RunBudget,
    host: HostPorts = {},
  ): Promise<Replies[K]> {
    const run = this.tail.then(
      () => this.send(request, budget, host),
      () => this.send(request, budget, host),
    );
    this.tail = run.catch(() => undefined);
    return run as Promise<Replies[K]>;
  }

  /**
   * True when the worker may serve another run: the first one this sandbox started (no
   * runaway module was stopped in it), alive, idle, and short of MAX_REQUESTS (a
   * long-lived server still renews it now and then, so nothing it imported lives forever).
   */
  get reusable(): boolean {
    return (
      this.worker !== null &&
      this.inFlight === null &&
      this.workersStarted === 1 &&
      interrupted === null &&
      this.nextId <= MAX_REQUESTS
    );
  }

  /** Ends the worker (idempotent); a later request starts a new one. */
  async close(): Promise<void> {
    live.delete(this);
    this.stopWatch();
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private start(): Worker {
    this.clock = new CallClock();
    const w = new Worker(entry, { workerData: { clock: this.clock.buffer } });
    this.workersStarted++;
    w.on('message', (msg: Reply | WorkerNote) => ('ok' in msg ? this.settle(msg) : this.note(w, msg)));
    w.on('error', (e) => this.fail(w, 'MODULE_FAILED', `module code failed outside a call: ${e.message}`));
    w.on('exit', (code) => {
      const c = this.clock.current(Date.now());
      const label = c ? (labels[c.moduleId] ?? '?') : null;
      const who = label ? `module ${c!.loading ? 'file ' : ''}${label}` : 'module code';
      this.fail(
        w,
        'MODULE_FAILED',
        `${who} called process.exit(${code})${c?.loading ? ' while loading' : ''}; a module must return its result, never end the process`,
      );
    });
    w.unref();
    live.add(this);
    return w;
  }

  private send(request: Request, budget: RunBudget | undefined, host: HostPorts): Promise<unknown> {
    // A stop that came between two requests (no call in flight to kill) still ends the
    // work: the next call could be the one that loops.
    if (interrupted) return Promise.reject(new SandboxError('INTERRUPTED', interrupted, null));
    const w = (this.worker ??= this.start());
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.inFlight = { id, started: Date.now(), budget, host, resolve, reject };
      w.ref();
      this.timer ??= setInterval(() => this.watch(), WATCH_EVERY_MS).unref();
      w.postMessage({ id, request });
    });
  }

  private settle(reply: Reply): void {
    const f = this.inFlight;
    if (!f || f.id !== reply.id) return;
    this.finish(f);
    if (reply.ok) f.resolve(reply.value);
    else f.reject(new TraderError(knownCode(reply.code) ?? 'MODULE_FAILED', reply.message));
  }

  /** A progress report, or a question the worker waits on: answered from the request's host ports. */
  private note(w: Worker, msg: WorkerNote): void {
    const f = this.inFlight;
    if (!f || f.id !== msg.id) return;
    if ('progress' in msg) {
      f.host.progress?.(...msg.progress);
      return;
    }
    const asked = f.host.finer
      ? f.host.finer(...msg.finer)
      : Promise.reject(new Error('this request cannot read finer candles'));
    void asked
      .then(
        (value) => ({ answer: msg.ask, ok: true, value }) as Answer,
        (e: unknown) => ({ answer: msg.ask, ok: false, message: e instanceof Error ? e.message : String(e) }) as Answer,
      )
      .then((a) => {
        if (this.worker === w) w.postMessage(a);
      });
  }

  private finish(f: InFlight): void {
    this.inFlight = null;
    if (f.budget) f.budget.usedMs += Date.now() - f.started;
    this.worker?.unref();
    this.stopWatch();
  }

  private stopWatch(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private activeLabel(): string | null {
    const c = this.clock.current(Date.now());
    return c ? (labels[c.moduleId] ?? null) : null;
  }

  /** The watchdog: a call past its limit, or a run past its budget, ends the worker. */
  private watch(): void {
    const f = this.inFlight;
    if (!f || !this.worker) return;
    const now = Date.now();
    const c = this.clock.current(now);
    const label = c ? (labels[c.moduleId] ?? '?') : null;
    if (c && c.elapsedMs > c.limitMs) {
      const sentence = c.loading
        ? `module file ${label} did not finish loading within its ${seconds(c.limitMs)} limit (its top level loops, or awaits something that never settles)`
        : callLimitSentence(label!, c.limitMs);
      this.kill('TIMEOUT', sentence, label);
    } else if (f.budget && this.budgetUsed(f.budget, now - f.started, now) > f.budget.limitMs) {
      this.kill('TIMEOUT', runLimitSentence(label, f.budget.limitMs), label);
    }
  }

  private budgetUsed(b: RunBudget, requestMs: number, now: number): number {
    return b.perPass ? this.clock.passElapsed(now) : b.usedMs + requestMs;
  }

  /** Terminates the worker and fails the request in flight with `message`. */
  kill(code: ErrorCode, message: string, label: string | null = this.activeLabel()): void {
    const w = this.worker;
    if (!w) return;
    this.fail(w, code, message, label);
    void w.terminate();
  }

  private fail(w: Worker, code: ErrorCode, message: string, label: string | null = this.activeLabel()): void {
    if (this.worker !== w) return; // an old worker's late event
    this.worker = null;
    const f = this.inFlight;
    if (!f) return;
    this.finish(f);
    f.reject(new SandboxError(code, message, label));
  }
}

/** Stops every sandbox's work now (SIGTERM): the request in flight fails with `message`. */
export function interruptSandboxes(message: string): void {
  interrupted = message;
  for (const s of live) s.kill('INTERRUPTED', message);
}
