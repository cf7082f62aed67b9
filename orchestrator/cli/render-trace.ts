import type { LogRow, RunRow } from '../../engine/run/runs-repo.ts';

function logLine(log: LogRow): string {
  if (log.event === 'decision') return `  => ${log.message.toUpperCase()}: ${log.rationale ?? ''}`;
  if (log.event === 'trading') return `  => ${log.message}`;
  const who = log.module_id ? `${log.stage}/${log.module_id}@${log.module_version}` : 'core';
  const ms = log.duration_ms === null ? '' : ` (${log.duration_ms.toFixed(2)} ms)`;
  const text = log.rationale && log.event !== 'blocked' ? log.rationale : log.message;
  return `  ${log.event === 'ran' ? '-' : '!'} ${who}${ms}${log.event === 'ran' ? '' : ` [${log.event}]`}: ${text}`;
}

/** The "why" view: run-level events, then per symbol the path through the modules with each rationale, then the decision. */
export function renderTrace(run: RunRow, logs: LogRow[]): string {
  const lines = [
    `run ${run.run_id}  ${run.status}`,
    `  pipeline ${run.pipeline_id}${run.strategy_id ? `, strategy ${run.strategy_id}` : ''}; ${run.exchange} ${run.timeframe} as of ${run.as_of.toISOString()}; trigger ${run.trigger}${run.trigger_ref ? ` (${run.trigger_ref})` : ''}`,
    ...logs.filter((l) => l.symbol === null).map(logLine),
  ];
  if (run.error) lines.push(`  error: ${run.error}`);
  for (const symbol of run.symbols) {
    lines.push('', symbol, ...logs.filter((l) => l.symbol === symbol).map(logLine));
  }
  return lines.join('\n');
}
