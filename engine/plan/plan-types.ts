import type { LoadedModule, LoadResult } from '../loader/module-loader.ts';
import type { AssetRow, ConfigSnapshot, RegistryRow, SlotRow } from '../../registry/rows.ts';
import type { LogicType, OnError } from '../../sdk/stages.ts';
import type { Condition } from './conditions.ts';
import type { ActiveVersion } from '../../trading/strategies/strategy-versions.ts';

/** A problem the planner found: where (pipeline/strategy/asset/slot) and what, in one sentence. */
export interface PlanProblem {
  where: string;
  message: string;
}

/** One module slot, ready to run. */
export interface PlannedSlot {
  stage: LogicType;
  module_id: string;
  version: string;
  params: Record<string, unknown>;
  when: Condition | null;
  shadow: boolean;
  on_error: OnError;
  /** The step's limit on one call of this module, ms; null: the sandbox default (sandbox/limits.ts). */
  limit_ms?: number | null;
  module: LoadedModule;
}

export interface Plan {
  pipeline_id: string;
  strategy_id: string | null;
  /** The strategy's active version whose parameters the plan carries; absent: the strategy's rows as configured. */
  strategy_version?: number;
  /** The profiles that version suits (the engine's profile filter, profile-filter.ts); absent: every profile. */
  suitable_risk_profiles?: ('low' | 'medium' | 'high')[];
  /** Set when asset_config changed the plan for this symbol. */
  symbol: string | null;
  slots: PlannedSlot[];
}

/** What the rules look at: each selected slot with its registry row, load result and merged params. */
export interface SlotAnalysis {
  row: SlotRow;
  where: string;
  registry: RegistryRow | undefined;
  load: LoadResult | undefined;
  params: Record<string, unknown>;
}

export interface PlanScope {
  pipelineId: string;
  strategyId: string | null;
  asset: AssetRow | undefined;
  riskProfile: 'low' | 'medium' | 'high';
  /** The strategy's active version in this system mode, if it has one. */
  strategyVersion?: ActiveVersion;
}

export interface PlanInput {
  config: ConfigSnapshot;
  loaded: ReadonlyMap<string, LoadResult>;
  scope: PlanScope;
}
