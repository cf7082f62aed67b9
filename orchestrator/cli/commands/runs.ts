import type { Command } from 'commander';
import { getRunTrace, listRuns } from '../../run/runs-repo.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { renderTrace } from '../render-trace.ts';

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('recorded pipeline runs and their decision traces');

  withJson(runs.command('list'))
    .description('list recent runs, newest first')
    .option('--limit <n>', 'how many runs', '20')
    .addHelpText('after', '\nExample:\n  $ trader runs list --limit 5')
    .action(
      action(async (opts: JsonFlag & { limit: string }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badInput(`--limit must be a whole number from 1 to 1000, not '${opts.limit}'.`);
        const rows = await withDb('runs list', (db) => listRuns(db, limit));
        output(opts, { ok: true, runs: rows }, () =>
          rows.length === 0
            ? 'No runs yet; start one with `trader run --symbols BTC/USDT`.'
            : rows
                .map((r) => `${r.run_id}  ${r.started_at.toISOString()}  ${r.status.padEnd(9)}  ${r.pipeline_id}${r.strategy_id ? `/${r.strategy_id}` : ''}  ${r.symbols.join(',')}`)
                .join('\n'),
        );
      }),
    );

  withJson(runs.command('show <run_id>'))
    .description("print each symbol's path through the modules with every rationale (the why view)")
    .addHelpText('after', '\nExample:\n  $ trader runs show 3f2c...-uuid')
    .action(
      action(async (runId: string, opts: JsonFlag) => {
        const { run, logs } = await withDb('runs show', (db) => getRunTrace(db, runId));
        output(opts, { ok: true, run, logs }, () => renderTrace(run, logs));
      }),
    );
}
