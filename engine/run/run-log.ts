import type { Queryable } from '../../store/db.ts';
import type { ErrorEntry, LogEntry } from './run-types.ts';

/** Builds `($1, $2, ...), (...)` for a multi-row insert of `rows` rows with `width` columns. */
function placeholders(rows: number, width: number): string {
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    groups.push(`(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
  }
  return groups.join(', ');
}

/** Writes one symbol's log and error rows in one statement each (called inside a transaction). */
export async function writeSymbolLogs(
  q: Queryable,
  runId: string,
  logs: LogEntry[],
  errors: ErrorEntry[],
): Promise<void> {
  if (logs.length > 0) {
    const params = logs.flatMap((l, seq) => [
      runId,
      l.symbol,
      l.stage,
      seq,
      l.module_id,
      l.module_version,
      l.level,
      l.event,
      l.message,
      l.rationale,
      l.outputs,
      l.context_snapshot,
      l.duration_ms,
    ]);
    await q.query(
      `insert into pipeline_log (run_id, symbol, stage, seq, module_id, module_version, level, event, message, rationale, outputs, context_snapshot, duration_ms)
       values ${placeholders(logs.length, 13)}`,
      params,
    );
  }
  if (errors.length > 0) {
    const params = errors.flatMap((e) => [
      runId,
      e.symbol,
      e.stage,
      e.module_id,
      e.module_version,
      e.code,
      e.error_message,
      e.traceback,
      e.context_snapshot,
    ]);
    await q.query(
      `insert into error_log (run_id, symbol, stage, module_id, module_version, code, error_message, traceback, context_snapshot)
       values ${placeholders(errors.length, 9)}`,
      params,
    );
  }
}
