import { z } from 'zod';
import { bounds } from '../../core/bounds.ts';
import { TraderError, toTraderError } from '../../core/errors.ts';
import { decisionTime, parseUtcTime } from '../../core/time.ts';
import { defaultPipelineId } from '../../registry/default-pack.ts';
import { MarketSymbol } from '../../sdk/context-schemas.ts';
import { getRunTrace, listRuns, RunFilter } from '../../engine/run/runs-repo.ts';
import type { RunOptions } from '../../engine/run/run-summary.ts';
import { startDistributedRun } from '../distributed-run.ts';
import { readJson, readQuery } from './body.ts';
import { ok, type Reply, type RequestContext, type Route, type ServerDeps } from './route-types.ts';
import { localRunner, type Runner } from './run-tracker.ts';

/** `POST /runs` and `GET /runs/:id`: the same run as `trader run [--distributed]`, with trigger 'http'. */

const id = z.string().min(1).max(100);

/** The body of `POST /runs`; the optional fields and their defaults are those of `trader run`. */
export const RunRequest = z
  .object({
    symbols: z
      .union([
        z.array(z.string()),
        z.string().transform((s) =>
          s
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x.length > 0),
        ),
      ])
      .pipe(
        z
          .array(MarketSymbol)
          .min(1, 'give at least one symbol, e.g. ["BTC/USDT"]')
          .max(bounds.distributedRunSymbols)
          .refine((list) => new Set(list).size === list.length, 'a symbol is listed twice'),
      ),
    strategy: id.nullable().optional(),
    pipeline: id.optional(),
    exchange: id.optional(),
    timeframe: z.string().min(1).max(10).optional(),
    as_of: z
      .string()
      .superRefine((value, ctx) => {
        try {
          parseUtcTime(value, 'as_of');
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      })
      .nullable()
      .optional()
      .describe('decide as of this UTC time; null or absent means now'),
    history: z.number().int().min(1).max(bounds.historyBars).optional(),
    max_age_bars: z.number().int().min(0).max(bounds.maxAgeBars).optional(),
    offline: z.boolean().optional(),
    /** The caller's reference, e.g. n8n's execution id, stored with the run. */
    trigger_ref: z.string().min(1).max(200).nullable().optional(),
    wait: z.boolean().optional(),
    /** As `trader run --distributed`: one job per symbol for `trader worker` processes (Postgres only). */
    distributed: z.boolean().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    // This server decides a local run itself while the request holds the pipeline; workers share a large one.
    if (!r.distributed && r.symbols.length > bounds.httpRunSymbols)
      ctx.addIssue({
        code: 'custom',
        path: ['symbols'],
        message: `must have at most ${bounds.httpRunSymbols} symbols for a run decided by trader serve itself; "distributed": true takes up to ${bounds.distributedRunSymbols}, decided by \`trader worker\` processes`,
      });
  });
export type RunRequest = z.infer<typeof RunRequest>;

const RunQuery = z.object({ wait: z.enum(['true', 'false', '1', '0']).optional() }).strict();

export function runOptions(r: RunRequest, deps: ServerDeps): RunOptions {
  const history = r.history ?? 500;
  return {
    symbols: r.symbols,
    pipelineId: r.pipeline ?? defaultPipelineId,
    strategyId: r.strategy ?? null,
    exchange: r.exchange ?? 'binance',
    timeframe: r.timeframe ?? '1h',
    asOf: decisionTime(r.as_of, 'as_of', deps.clock()),
    trigger: 'http',
    triggerRef: r.trigger_ref ?? null,
    historyBars: history,
    minBars: Math.min(history, 100),
    offline: r.offline ?? false,
    maxAgeBars: r.max_age_bars ?? 0,
    env: deps.env,
  };
}

/** A failure after the run row was written names the run, so the caller can look it up. */
function naming(e: unknown, runId: string | null): TraderError {
  const err = toTraderError(e);
  if (runId === null) return err;
  const named = new TraderError(err.code, err.message, { ...(err.details as object | undefined), run_id: runId });
  named.cause = e;
  return named;
}

/** The use case of `trader run` (decided here) or `trader run --distributed [--no-wait]` (decided by workers). */
function runnerOf(body: RunRequest, wait: boolean): Runner {
  if (!body.distributed) return localRunner;
  return (db, o) => startDistributedRun(db, o, wait ? { wait: true } : { wait: false });
}

async function startRun(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  const query = readQuery(ctx.url, RunQuery);
  const body = await readJson(ctx.req, RunRequest, deps.bodyLimit);
  if (deps.closing())
    throw new TraderError('TRANSIENT', 'trader serve is shutting down and starts no new run; retry when it is back.');
  const wait = body.wait ?? (query.wait === 'true' || query.wait === '1');
  const started = deps.runs.start(deps.db, runOptions(body, deps), runnerOf(body, wait));
  if (!wait) {
    const run_id = await started.opened;
    return ok({ run_id, status: 'running', run_url: `/runs/${run_id}` }, 202, { location: `/runs/${run_id}` });
  }
  let runId: string | null = null;
  started.opened.then(
    (id) => (runId = id),
    () => {},
  );
  try {
    return { status: 200, body: (await started.done).summary };
  } catch (e) {
    throw naming(e, runId);
  }
}

async function showRun(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  const { run, logs } = await getRunTrace(deps.db, ctx.params.run_id!);
  return ok({ run, logs });
}

/** `GET /runs[?limit&trigger&trigger_ref]`: as `trader runs list --json`, e.g. the run an n8n execution started. */
async function findRuns(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  return ok({ runs: await listRuns(deps.db, readQuery(ctx.url, RunFilter)) });
}

export const runRoutes: Route[] = [
  { method: 'POST', path: '/runs', auth: true, handle: startRun },
  { method: 'GET', path: '/runs', auth: true, handle: findRuns },
  { method: 'GET', path: '/runs/:run_id', auth: true, handle: showRun },
];
