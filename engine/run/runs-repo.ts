import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { type Queryable, queryRows } from '../../store/db.ts';
import { reapCrashedRuns } from './run-lock.ts';
import { quote } from '../../core/quote.ts';

/** Reading recorded runs back: the list, and one run with its full module trace. */

export const RunRow = z.object({
  run_id: z.string(),
  pipeline_id: z.string(),
  strategy_id: z.string().nullable(),
  status: z.string(),
  trigger: z.string(),
  trigger_ref: z.string().nullable(),
  exchange: z.string(),
  timeframe: z.string(),
  symbols: z.array(z.string()),
  as_of: z.date(),
  started_at: z.date(),
  finished_at: z.date().nullable(),
  summary: z.unknown().nullable(),
  error: z.string().nullable(),
});
export type RunRow = z.infer<typeof RunRow>;

export const LogRow = z.object({
  symbol: z.string().nullable(),
  stage: z.string().nullable(),
  seq: z.number(),
  module_id: z.string().nullable(),
  module_version: z.string().nullable(),
  level: z.string(),
  event: z.string(),
  message: z.string(),
  rationale: z.string().nullable(),
  outputs: z.unknown().nullable(),
  duration_ms: z.number().nullable(),
});
export type LogRow = z.infer<typeof LogRow>;

const runColumns =
  'run_id, pipeline_id, strategy_id, status, trigger, trigger_ref, exchange, timeframe, symbols, as_of, started_at, finished_at, summary, error';

/** Which runs `trader runs list` and `GET /runs` return: newest first, optionally by who started them. */
export const RunFilter = z
  .object({
    limit: z.coerce.number().int().min(1, 'limit is at least 1').max(1000, 'limit is at most 1000').default(20),
    trigger: z.string().min(1).max(100).optional().describe('cli, http, schedule, n8n ...'),
    trigger_ref: z.string().min(1).max(200).optional().describe("the caller's reference, e.g. n8n:<execution id>"),
    before: z.coerce.date().optional().describe('only runs started before this time (the next page)'),
  })
  .strict();
export type RunFilter = z.infer<typeof RunFilter>;

export async function listRuns(q: Queryable, f: RunFilter): Promise<RunRow[]> {
  await reapCrashedRuns(q);
  return queryRows(
    q,
    RunRow,
    `select ${runColumns} from pipeline_runs
      where ($1::text is null or trigger = $1) and ($2::text is null or trigger_ref = $2)
        and ($4::timestamptz is null or started_at < $4)
      order by started_at desc limit $3`,
    [f.trigger ?? null, f.trigger_ref ?? null, f.limit, f.before ?? null],
  );
}

export async function getRunTrace(q: Queryable, runId: string): Promise<{ run: RunRow; logs: LogRow[] }> {
  if (!z.string().uuid().safeParse(runId).success)
    throw new TraderError('BAD_INPUT', `${quote(runId)} is not a run id (a UUID); see \`trader runs list\`.`);
  await reapCrashedRuns(q);
  const [run] = await queryRows(q, RunRow, `select ${runColumns} from pipeline_runs where run_id = $1`, [runId]);
  if (!run) throw new TraderError('NOT_FOUND', `Run ${runId} does not exist; see \`trader runs list\`.`);
  const logs = await queryRows(
    q,
    LogRow,
    'select symbol, stage, seq, module_id, module_version, level, event, message, rationale, outputs, duration_ms from pipeline_log where run_id = $1 order by log_id',
    [runId],
  );
  return { run, logs };
}
