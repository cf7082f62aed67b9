import { TraderError } from '../../core/errors.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import { MarketSymbol } from '../../sdk/context-schemas.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { systemModeFromEnv } from '../../trading/scope.ts';
import { validateCron } from './cron.ts';
import type { ScheduleRow } from './schedule-row.ts';
import { deleteSchedule, findSchedule, insertSchedule } from './schedules-repo.ts';
import { quote } from '../../core/quote.ts';
import { planStudy } from '../../optimise/plan-study.ts';
import { type ScheduledStudy, scheduledStudyOptions } from './scheduled-study.ts';
import type { ScheduledBackup, ScheduledCorrelation, ScheduledExport } from './operation-jobs.ts';

/** `trader schedule add` / `remove`: every input checked first, then one transaction with its audit row. */

export interface ScheduleInput {
  cron: string;
  timezone?: string;
  symbols: string[];
  name?: string | null;
  pipelineId?: string;
  strategyId?: string | null;
  exchange?: string;
  timeframe?: string;
  historyBars?: number;
  offline?: boolean;
  graceSeconds?: number;
  /** Present: each tick runs this study (job 'optimise') instead of the pipeline. */
  study?: ScheduledStudy;
  /** Present: each tick backs up or exports the whole database, or analyses correlation; no symbols. */
  operation?: ScheduledOperation;
}

export type ScheduledOperation =
  | { job: 'backup'; args: ScheduledBackup }
  | { job: 'export'; args: ScheduledExport }
  | { job: 'correlation'; args: ScheduledCorrelation };

const namePattern = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function checkSymbols(symbols: string[]): void {
  if (symbols.length === 0) throw new TraderError('BAD_INPUT', 'Give at least one symbol, e.g. --symbols BTC/USDT.');
  for (const s of symbols) {
    if (!MarketSymbol.safeParse(s).success)
      throw new TraderError('BAD_INPUT', `${quote(s)} is not a symbol like BTC/USDT (upper case BASE/QUOTE).`);
  }
  if (new Set(symbols).size !== symbols.length)
    throw new TraderError('BAD_INPUT', 'A symbol is listed twice in --symbols.');
}

/** The pipeline must have rows, and a named strategy must exist for it, so a typo fails now rather than at 3 a.m. */
async function checkConfig(q: Queryable, pipelineId: string, strategyId: string | null): Promise<void> {
  const [p] = await q.query('select 1 from pipeline_config where pipeline_id = $1 limit 1', [pipelineId]);
  if (!p)
    throw new TraderError(
      'NOT_FOUND',
      `No pipeline ${quote(pipelineId)} in pipeline_config; run \`trader db seed\` or give an existing --pipeline.`,
    );
  if (strategyId === null) return;
  const [s] = await q.query('select 1 from strategy_config where strategy_id = $1 and pipeline_id = $2 limit 1', [
    strategyId,
    pipelineId,
  ]);
  if (!s)
    throw new TraderError(
      'NOT_FOUND',
      `No strategy ${quote(strategyId)} for pipeline ${quote(pipelineId)} in strategy_config; give an existing --strategy.`,
    );
}

function jobOf(input: ScheduleInput): Pick<ScheduleRow, 'job' | 'job_args'> {
  const op = input.operation;
  if (op?.job === 'backup') return { job: 'backup', job_args: op.args };
  if (op?.job === 'export') return { job: 'export', job_args: op.args };
  if (op?.job === 'correlation') return { job: 'correlation', job_args: op.args };
  return input.study ? { job: 'optimise', job_args: input.study } : { job: 'run', job_args: null };
}

/** Validates and stores a schedule in the process's system mode; audited SCHEDULE_ADDED (mode SYSTEM, actor USER). */
export async function addSchedule(
  db: Db,
  input: ScheduleInput,
  options: { now?: Date; env?: NodeJS.ProcessEnv } = {},
): Promise<ScheduleRow> {
  const { cron, timezone } = validateCron(input.cron, input.timezone ?? 'UTC');
  if (input.operation && input.symbols.length > 0)
    throw new TraderError(
      'BAD_INPUT',
      `--symbols does not apply to --job ${input.operation.job}: it acts on the whole database.`,
    );
  if (!input.operation) checkSymbols(input.symbols);
  const name = input.name ?? null;
  if (name !== null && !namePattern.test(name)) {
    throw new TraderError(
      'BAD_INPUT',
      `--name ${quote(name)} is not a valid schedule name: start with a letter, then up to 63 letters, digits, '_', '.' or '-'.`,
    );
  }
  const timeframe = input.timeframe ?? '1h';
  parseTimeframe(timeframe);
  const pipelineId = input.pipelineId ?? 'default';
  const strategyId = input.strategyId ?? null;
  const system_mode = systemModeFromEnv(options.env);
  const now = options.now ?? new Date();
  const fields = {
    symbols: input.symbols,
    exchange: input.exchange ?? 'binance',
    timeframe,
    pipeline_id: pipelineId,
    history_bars: input.historyBars ?? 500,
  };
  // A study is planned whole now, as its first tick would plan it: a typo fails here, not at 3 a.m.
  if (input.study) await planStudy(db, scheduledStudyOptions(fields, input.study, now, options.env ?? process.env));
  return db.transaction(async (tx) => {
    if (!input.operation) await checkConfig(tx, pipelineId, strategyId);
    const row = await insertSchedule(tx, {
      name,
      cron,
      timezone,
      system_mode,
      strategy_id: strategyId,
      ...fields,
      offline: input.offline ?? false,
      grace_seconds: input.graceSeconds ?? 600,
      created_at: now,
      ...jobOf(input),
    });
    await auditScheduleChange(tx, 'SCHEDULE_ADDED', row);
    return row;
  });
}

/** Removes a schedule (by id or name) and its tick history; audited SCHEDULE_REMOVED. A run in progress finishes. */
export async function removeSchedule(db: Db, ref: string): Promise<ScheduleRow> {
  return db.transaction(async (tx) => {
    const row = await findSchedule(tx, ref);
    await deleteSchedule(tx, row.schedule_id);
    await auditScheduleChange(tx, 'SCHEDULE_REMOVED', row);
    return row;
  });
}

function auditScheduleChange(tx: Queryable, action_type: string, s: ScheduleRow): Promise<number> {
  return recordAudit(tx, {
    mode: 'SYSTEM',
    actor: 'USER',
    action_type,
    status: 'SUCCESS',
    entity_type: 'schedule',
    entity_id: String(s.schedule_id),
    details: {
      name: s.name,
      cron: s.cron,
      timezone: s.timezone,
      system_mode: s.system_mode,
      pipeline_id: s.pipeline_id,
      strategy_id: s.strategy_id,
      symbols: s.symbols,
      grace_seconds: s.grace_seconds,
      job: s.job,
      job_args: s.job_args,
    },
  });
}
