import { TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { modulesRoot } from '../../core/paths.ts';
import { readConfig } from '../../registry/config-repo.ts';
import { pinModule } from '../../registry/registry-repo.ts';
import type { ConfigSnapshot } from '../../registry/rows.ts';
import type { Queryable } from '../../store/db.ts';
import { type LoadedModule, type LoadResult, loadModule } from '../loader/module-loader.ts';
import { buildPlan } from './planner.ts';
import { gateModule } from '../gates/gate-module.ts';
import type { Plan, PlanProblem, PlanScope } from './plan-types.ts';
import { quote } from '../../core/quote.ts';
import { activeVersions, marketStrategies } from '../../trading/strategies/strategy-versions.ts';
import { systemModeFromEnv, tradingScope } from '../../trading/scope.ts';

export interface PrepareOptions {
  pipelineId: string;
  /** An explicit strategy (CLI --strategy) wins over each market's assigned one, which wins over the asset's configured one. */
  strategyId: string | null;
  /** Symbols to plan for; an empty list plans the base pipeline and every configured asset. */
  symbols: string[];
  riskProfile: PlanScope['riskProfile'];
  env?: NodeJS.ProcessEnv;
}

export interface Prepared {
  /** Plan per requested symbol (or per configured asset plus '*' for the base plan). */
  plans: Map<string, Plan>;
  problems: PlanProblem[];
  pinned: LoadedModule[];
}

/** Loads every module the configuration references, once. */
export async function loadReferenced(config: ConfigSnapshot, root: string): Promise<Map<string, LoadResult>> {
  const ids = new Set([...config.pipeline, ...config.strategies].map((r) => r.module_id));
  const loaded = new Map<string, LoadResult>();
  for (const row of config.registry.filter((r) => ids.has(r.module_id)))
    loaded.set(row.module_id, await loadModule(row, root));
  return loaded;
}

/**
 * Reads the configuration, loads and checks the modules, and plans every symbol. Rows
 * inserted by SQL without a hash (or registered before import graphs were pinned) are
 * pinned to the files' current hashes here (and logged), then gated.
 */
export async function preparePlans(db: Queryable, options: PrepareOptions): Promise<Prepared> {
  const config = await readConfig(db);
  const loaded = await loadReferenced(config, modulesRoot(options.env));
  const pinned: LoadedModule[] = [];
  const gateProblems: PlanProblem[] = [];
  for (const result of loaded.values()) {
    if (
      result.ok &&
      result.module.pinned &&
      (await pinModule(db, result.module.row.module_id, result.module.sha256, result.module.graph))
    ) {
      pinned.push(result.module);
      logger.warn(
        { module_id: result.module.row.module_id, sha256: result.module.sha256 },
        'module row had no sha256 or import graph: pinned them to the files as loaded now',
      );
      // A row inserted by SQL is gated on its first load, as `module register` gates a file.
      const gated = await gateModule(db, result.module.row.module_id, options.env);
      if (gated.gate?.status === 'failed')
        gateProblems.push({
          where: `module ${gated.module_id}`,
          message: `failed its registration gates and was deactivated: ${gated.gate.reasons.join('; ')}`,
        });
    }
  }
  const targets: [string, PlanScope['asset']][] =
    options.symbols.length > 0
      ? options.symbols.map((s) => [s, config.assets.find((a) => a.symbol === s)])
      : [['*', undefined], ...config.assets.map((a): [string, PlanScope['asset']] => [a.symbol, a])];
  const plans = new Map<string, Plan>();
  const problems = new Map<string, PlanProblem>();
  const scope = tradingScope(systemModeFromEnv(options.env));
  const versions = await activeVersions(db, scope);
  const assigned = await marketStrategies(db, scope);
  for (const [symbol, asset] of targets) {
    const strategyId = options.strategyId ?? assigned.get(symbol) ?? asset?.strategy_id ?? null;
    const strategyVersion = strategyId === null ? undefined : versions.get(strategyId);
    const result = buildPlan({
      config,
      loaded,
      scope: {
        pipelineId: options.pipelineId,
        strategyId,
        asset,
        riskProfile: options.riskProfile,
        ...(strategyVersion ? { strategyVersion } : {}),
      },
    });
    if (result.plan) plans.set(symbol, result.plan);
    for (const p of result.problems) problems.set(`${p.where}|${p.message}`, p);
  }
  return { plans, problems: [...gateProblems, ...problems.values()], pinned };
}

/** Throws one configuration error that lists every problem. */
export function assertNoProblems(pipelineId: string, problems: PlanProblem[]): void {
  if (problems.length === 0) return;
  const list = problems.map((p) => `  - ${p.where}: ${p.message}`).join('\n');
  throw new TraderError(
    'CONFIG_INVALID',
    `Pipeline ${quote(pipelineId)} cannot run: its plan has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`,
    problems,
  );
}
