import type { Command } from 'commander';
import { defaultPipelineId } from '../../../registry/default-pack.ts';
import { describeCondition } from '../../../engine/plan/conditions.ts';
import type { Plan } from '../../../engine/plan/plan-types.ts';
import { preparePlans } from '../../../engine/plan/prepare.ts';
import { systemModeFromEnv, tradingScope } from '../../../trading/scope.ts';
import { currentState } from '../../../trading/state-repo.ts';
import { pipelineTarget } from '../../config-files/slot-targets.ts';
import { action, output, splitList, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { registerDocumentCommands } from './document-commands.ts';
import { checkSymbols } from '../../../engine/run/check-symbols.ts';

function renderPlan(name: string, plan: Plan): string {
  const head = `${name}: pipeline ${plan.pipeline_id}${plan.strategy_id ? `, strategy ${plan.strategy_id}` : ''}`;
  const slots = plan.slots.map(
    (s) =>
      `  ${s.stage.padEnd(10)} ${s.module_id}@${s.version}${s.shadow ? ' [shadow]' : ''} on_error=${s.on_error}${s.when ? ` when ${describeCondition(s.when)}` : ''}  params ${JSON.stringify(s.params)}`,
  );
  return [head, ...slots].join('\n');
}

export function registerPipelineCommands(program: Command): void {
  const pipeline = program.command('pipeline').description('pipeline plans and pipeline files');
  registerDocumentCommands(pipeline, {
    group: 'pipeline',
    noun: 'pipeline',
    target: () => pipelineTarget,
    id: { arg: 'pipeline_id' },
    example: {
      show: 'trader pipeline show default',
      export: 'trader pipeline export default --out pipeline.yaml',
      apply: 'trader pipeline apply pipeline.yaml',
    },
  });

  withJson(pipeline.command('validate'))
    .description('run only the planner: load and check every module and rule, report all problems at once')
    .option('--pipeline <id>', 'pipeline_config pipeline id', defaultPipelineId)
    .option('--strategy <id>', 'validate with this strategy applied')
    .option(
      '--symbols <list>',
      'validate the plans of these symbols (default: the base plan and every asset_config row)',
    )
    .addHelpText('after', '\nExample:\n  $ trader pipeline validate --strategy breakout_trend')
    .action(
      action(async (opts: JsonFlag & { pipeline: string; strategy?: string; symbols?: string }) => {
        const symbols = opts.symbols ? splitList(opts.symbols) : [];
        checkSymbols(symbols);
        const prepared = await withDb('pipeline validate', async (db) => {
          const { risk_profile } = await currentState(db, tradingScope(systemModeFromEnv()));
          return preparePlans(db, {
            pipelineId: opts.pipeline,
            strategyId: opts.strategy ?? null,
            symbols,
            riskProfile: risk_profile,
          });
        });
        const ok = prepared.problems.length === 0;
        const plans = Object.fromEntries(
          [...prepared.plans].map(([k, p]) => [k, { ...p, slots: p.slots.map(({ module: _m, ...s }) => s) }]),
        );
        output(opts, { ok, problems: prepared.problems, plans }, () =>
          ok
            ? [...prepared.plans].map(([k, p]) => renderPlan(k === '*' ? 'base plan' : k, p)).join('\n\n') +
              '\n\nThe plan is valid.'
            : `The plan has ${prepared.problems.length} problem(s):\n${prepared.problems.map((p) => `  - ${p.where}: ${p.message}`).join('\n')}`,
        );
        return ok ? 0 : 2;
      }),
    );
}
