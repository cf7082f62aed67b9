import { parentPort, workerData } from 'node:worker_threads';
import type { z } from 'zod';
import type { healthIndex } from '../backtest/health-index.ts';
import { importUnsandboxed, preparedExport, type LoadedModule, type ModuleFn } from '../engine/loader/module-loader.ts';
import type { PrepareFn } from '../engine/run/prepared-columns.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { AsOfCandles } from '../engine/run/as-of-view.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';
import type { BarInputs } from '../backtest/decide-bar.ts';
import { warmModuleImports } from '../core/ts-loader.ts';
import { CallClock } from './call-clock.ts';
import { PrefixMemoStore } from '../backtest/prefix-memo.ts';
import { DEFAULT_CALL_LIMIT_MS, LOAD_LIMIT_MS } from './limits.ts';
import type { Answer, ModuleRef, PlanRef, Replies, Reply, Request, WorkerNote } from './protocol.ts';
import type { PriceCandle } from '../trading/paper/candle-exits.ts';

/**
 * The sandbox's worker thread: the only place module code runs. It imports modules from
 * their pinned files and runs whole passes (a symbol's pipeline, a backtest bar, a
 * module's registration gates) so one message crosses the thread boundary per pass, not
 * per module call. Around every call it marks the shared clock; the main thread's
 * watchdog terminates this thread when a call outlives its limit.
 */

type Series = z.infer<typeof CandleSeries>;
const clock = new CallClock(workerData.clock as SharedArrayBuffer);

/** The engine, imported on the first pass: a worker that only probes imports starts light. */
const engine = async () => {
  const [bar, loop, macro, health, gates, view, cache, initial, runner] = await Promise.all([
    import('../backtest/decide-bar.ts'),
    import('../backtest/replay-loop.ts'),
    import('../market/macro/macro-timeline.ts'),
    import('../backtest/health-index.ts'),
    import('../engine/gates/module-gates.ts'),
    import('../engine/run/as-of-view.ts'),
    import('../engine/run/indicator-cache.ts'),
    import('../engine/run/initial-context.ts'),
    import('../engine/run/symbol-runner.ts'),
  ]);
  return { ...bar, ...loop, ...macro, ...health, ...gates, ...view, ...cache, ...initial, ...runner };
};
let e!: Awaited<ReturnType<typeof engine>>;

const loaded = new Map<string, LoadedModule>();

/** Imports a module once per file content and entry function (a second plan reuses it). */
async function load(ref: ModuleRef): Promise<LoadedModule> {
  const key = `${ref.file}|${ref.sha256}|${ref.row.function_name}`;
  const known = loaded.get(key);
  if (known) return { ...known, row: ref.row, graph: ref.graph };
  await warmModuleImports();
  clock.begin(ref.id, LOAD_LIMIT_MS, true);
  const imported = await importUnsandboxed(ref.file, ref.sha256, ref.row.script_path);
  clock.end();
  if (!imported.ok) throw new Error(imported.problems.join('; '));
  const run = imported.exports[ref.row.function_name] as ModuleFn;
  const m = {
    row: ref.row,
    manifest: imported.manifest,
    run,
    ...preparedExport(imported.exports),
    file: ref.file,
    sha256: ref.sha256,
    graph: ref.graph,
    pinned: false,
  };
  loaded.set(key, m);
  return m;
}

/** `fn` marked on the clock around every call: label `id`, `limitMs` per call. */
function onClock<F extends (...args: never[]) => unknown>(fn: F, id: number, limitMs: number): F {
  return ((...args: Parameters<F>) => {
    clock.begin(id, limitMs);
    try {
      return fn(...args);
    } finally {
      clock.end();
    }
  }) as F;
}

/** The module with its run (and its prepare, once per replay) marked on the clock. */
async function timed(ref: ModuleRef, limitMs: number): Promise<LoadedModule> {
  const m = await load(ref);
  const run: ModuleFn = onClock(m.run, ref.id, limitMs);
  const prepare: PrepareFn | undefined = m.prepare && onClock(m.prepare, ref.id, limitMs);
  return { ...m, run, ...(prepare ? { prepare } : {}) };
}

async function planOf(ref: PlanRef): Promise<Plan> {
  const slots = [];
  for (const s of ref.slots) slots.push({ ...s, module: await timed(s.module, s.limit_ms ?? DEFAULT_CALL_LIMIT_MS) });
  return { ...ref, slots };
}

interface Market {
  plan: Plan;
  full: Series;
  cursor: AsOfCandles;
  flaws: ReturnType<typeof healthIndex>;
  preparePerBar: boolean;
}
const markets = new Map<number, Market>();
/** An optimiser study's shared slots, kept across the trials of one window (prefix-memo.ts). */
const memos = new PrefixMemoStore();

function cut(full: Series, end: number): Series {
  const c = (a: number[]) => a.slice(0, end);
  return {
    ...full,
    ts: c(full.ts),
    open: c(full.open),
    high: c(full.high),
    low: c(full.low),
    close: c(full.close),
    volume: c(full.volume),
  };
}

/** The context keys the pass wrote: the main thread already has the core values it sent. */
function written(context: Record<string, unknown>, core: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(context).filter(([k]) => !(k in core)));
}

const handlers: { [K in Request['op']]: (r: Extract<Request, { op: K }>) => Promise<Replies[K]> | Replies[K] } = {
  async warm() {
    await warmModuleImports();
    e ??= await engine();
    return null;
  },
  async load(r) {
    await warmModuleImports();
    clock.begin(r.id, LOAD_LIMIT_MS, true);
    const imported = await importUnsandboxed(r.file, r.sha256, r.label);
    clock.end();
    return { problems: imported.ok ? [] : imported.problems };
  },
  async symbol(r) {
    e ??= await engine();
    const plan = await planOf(r.plan);
    const initial = e.coreContext({ ...r.values, candles: e.fixedCandles(r.values.candles) }, []);
    const run = e.runSymbol(plan, r.symbol, initial, { indicators: e.cachedIndicators });
    return { ...run, context: written(run.context, initial) };
  },
  async market(r) {
    e ??= await engine();
    const plan = await planOf(r.plan);
    const cursor = e.asOfCandles(r.full, 0, 0);
    const flaws = e.healthIndex(r.full, r.timeframeMs);
    markets.set(r.index, { plan, full: r.full, cursor, flaws, preparePerBar: r.preparePerBar ?? false });
    return null;
  },
  async replay(r) {
    const ports = {
      decide: (index: number, k: number, inputs: BarInputs, fingerprint: boolean) => {
        const m = markets.get(index)!;
        clock.pass();
        m.cursor.advanceTo(k + 1);
        const memo = r.memo && memos.memoFor(r.memo, m.plan, m.full.symbol, inputs.run.as_of);
        const d = e.decideBar(m.plan, inputs, {
          candles: m.cursor.view,
          flaws: m.flaws,
          fingerprint,
          preparePerBar: m.preparePerBar,
          ...(memo ? { memo } : {}),
        });
        const tampered = m.cursor.tampered(true);
        if (tampered) throw e.viewWritten(m.full.symbol, inputs.run.as_of, tampered);
        return d;
      },
      finer: (index: number, barTs: number) => ask<PriceCandle[] | null>({ finer: [index, barTs] }),
      macroAt: r.macro ? e.macroTimelineOf(r.macro) : null,
      progress: (done: number, total: number) => note({ progress: [done, total] }),
    };
    const loopMarkets = r.markets.map((x, index) => {
      const m = markets.get(index)!;
      return { ...x, plan: m.plan, full: m.full, record: new Set(x.record) };
    });
    const outcome = await e.replayLoop(r.settings, loopMarkets, ports);
    for (const m of markets.values()) {
      const tampered = m.cursor.tampered(false) ?? e.indicatorsTampered(m.full);
      if (tampered) throw e.viewWritten(m.full.symbol, 'the end of the replay', tampered);
    }
    return outcome;
  },
  cut(r) {
    const m = markets.get(r.index)!;
    return e.decideBar(m.plan, r.inputs, { candles: e.fixedCandles(cut(m.full, r.end)), fingerprint: true });
  },
  async gate(r) {
    e ??= await engine();
    const target = await timed(r.target, DEFAULT_CALL_LIMIT_MS);
    const available = [];
    for (const ref of r.available) available.push(await timed(ref, DEFAULT_CALL_LIMIT_MS));
    return e.runModuleGates(target, available);
  },
  // A worker kept warm for the next run or backtest must not hold the last replay's candles.
  forget() {
    markets.clear();
    memos.clear();
    return null;
  },
};

/** The request being handled: notes and questions to the main thread carry its id. */
let current = 0;
const note = (n: Omit<Extract<WorkerNote, { progress: unknown }>, 'id'>) =>
  parentPort!.postMessage({ id: current, ...n });

const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let asked = 0;
/** Asks the main thread (see WorkerNote) and waits for its answer. */
function ask<T>(q: Omit<Extract<WorkerNote, { ask: number }>, 'id' | 'ask'>): Promise<T> {
  const n = ++asked;
  return new Promise<T>((resolve, reject) => {
    waiting.set(n, { resolve: resolve as (v: unknown) => void, reject });
    parentPort!.postMessage({ id: current, ask: n, ...q });
  });
}

function answered(a: Answer): void {
  const w = waiting.get(a.answer);
  waiting.delete(a.answer);
  if (a.ok) w?.resolve(a.value);
  else w?.reject(new Error(a.message));
}

// One request at a time, in order: the clock marks one call, and a pass sees no other pass's state.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: { id: number; request: Request } | Answer) => {
  if ('answer' in msg) return answered(msg);
  queue = queue.then(async () => {
    current = msg.id;
    let reply: Reply;
    try {
      const handler = handlers[msg.request.op] as (r: Request) => unknown;
      reply = { id: msg.id, ok: true, value: await handler(msg.request) };
    } catch (thrown) {
      clock.end();
      const err = thrown instanceof Error ? thrown : new Error(String(thrown));
      reply = { id: msg.id, ok: false, message: err.message, code: (err as { code?: string }).code };
    }
    parentPort!.postMessage(reply);
  });
});
