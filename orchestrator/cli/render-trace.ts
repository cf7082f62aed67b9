import type { LogRow, RunRow } from '../run/runs-repo.ts';

/** The "why" view: per symbol, the path through the modules with each rationale, then the decision. */
export function renderTrace(run: RunRow, logs: LogRow[]): string {
  const lines = [
    `run ${run.run_id}  ${run.status}`,
    `  pipeline ${run.pipeline_id}${run.strategy_id ? `, strategy ${run.strategy_id}` : ''}; ${run.exchange} ${run.timeframe} as of ${run.as_of.toISOString()}; trigger ${run.trigger}${run.trigger_ref ? ` (${run.trigger_ref})` : ''}`,
  ];
  if (run.error) lines.push(`  error: ${run.error}`);
  for (const symbol of run.symbols) {
    lines.push('', `${symbol}`);
    for (const log of logs.filter((l) => l.symbol === symbol)) {
      if (log.event === 'decision') {
        lines.push(`  => ${log.message.toUpperCase()}: ${log.rationale ?? ''}`);
        continue;
      }
      const who = log.module_id ? `${log.stage}/${log.module_id}@${log.module_version}` : 'core';
      const ms = log.duration_ms === null ? '' : ` (${log.duration_ms.toFixed(2)} ms)`;
      const text = log.rationale && log.event !== 'blocked' ? log.rationale : log.message;
      lines.push(`  ${log.event === 'ran' ? '-' : '!'} ${who}${ms}${log.event === 'ran' ? '' : ` [${log.event}]`}: ${text}`);
    }
  }
  return lines.join('\n');
}
