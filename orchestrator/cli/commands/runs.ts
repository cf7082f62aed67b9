import type { Command } from 'commander';
import { getRunTrace, listRuns, RunFilter } from '../../../engine/run/runs-repo.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { issueProblem } from '../../../core/schema-problems.ts';
import { renderTrace } from '../render-trace.ts';
import { quote } from '../../../core/quote.ts';

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('recorded pipeline runs and their decision traces');

  withJson(runs.command('list'))
    .description('list recent runs, newest first, with who started them')
    .option('--limit <n>', 'how many runs', '20')
    .option('--trigger <name>', 'only runs started by this trigger (cli, http, schedule, n8n)')
    .option('--trigger-ref <ref>', 'only runs with this caller reference, e.g. n8n:<execution id>')
    .addHelpText(
      'after',
      '\nExamples:\n  $ trader runs list --limit 5\n  $ trader runs list --trigger-ref n8n:1234    # the run n8n execution 1234 started',
    )
    .action(
      action(async (opts: JsonFlag & { limit: string; trigger?: string; triggerRef?: string }) => {
        const filter = RunFilter.safeParse({ limit: opts.limit, trigger: opts.trigger, trigger_ref: opts.triggerRef });
        if (!filter.success) {
          const issue = filter.error.issues[0]!;
          if (issue.path[0] === 'limit')
            throw badInput(`--limit must be a whole number from 1 to 1000, not ${quote(opts.limit)}.`);
          throw badInput(`--${String(issue.path[0]).replace('_', '-')} is not usable: it ${issueProblem(issue)}.`);
        }
        const rows = await withDb('runs list', (db) => listRuns(db, filter.data));
        output(opts, { ok: true, runs: rows }, () =>
          rows.length === 0
            ? opts.trigger || opts.triggerRef
              ? 'No run matches.'
              : 'No runs yet; start one with `trader run --symbols BTC/USDT`.'
            : table(
                ['run_id', 'started', 'status', 'pipeline', 'symbols', 'trigger', 'ref'],
                rows.map((r) => [
                  r.run_id,
                  r.started_at.toISOString(),
                  r.status,
                  `${r.pipeline_id}${r.strategy_id ? `/${r.strategy_id}` : ''}`,
                  r.symbols.join(','),
                  r.trigger,
                  r.trigger_ref ?? '',
                ]),
              ),
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
