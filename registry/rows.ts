import { z } from 'zod';
import { StepTimeLimit } from '../sandbox/limits.ts';
import { LogicType, OnError } from '../sdk/stages.ts';
import { GateReport } from './gate-report.ts';
import { ImportGraph } from './import-graph.ts';

/** The shapes of registry and configuration rows as the code reads them. */

const Json = z.record(z.string(), z.unknown());

export const RegistryRow = z.object({
  module_id: z.string(),
  logic_type: LogicType,
  version: z.string(),
  description: z.string().nullable(),
  script_path: z.string(),
  function_name: z.string(),
  is_active: z.boolean(),
  input_keys: z.array(z.string()),
  output_keys: z.array(z.string()),
  tags: Json,
  sha256: z.string().nullable(),
  params: Json,
  gate: GateReport.nullable(),
  import_graph: ImportGraph.nullable(),
  created_at: z.date(),
  updated_at: z.date(),
});
export type RegistryRow = z.infer<typeof RegistryRow>;

/** One module slot of a pipeline or strategy. */
const SlotFields = {
  stage: LogicType,
  position: z.number().int(),
  module_id: z.string(),
  params: Json,
  run_when: z.unknown().nullable(),
  shadow: z.boolean(),
  on_error: OnError.nullable(),
  is_enabled: z.boolean(),
  /** This step's limit on one module call (sandbox/limits.ts); null or absent: the 2 s default. */
  time_limit_ms: StepTimeLimit.nullish(),
};

export const PipelineRow = z.object({ pipeline_id: z.string(), ...SlotFields });
export type PipelineRow = z.infer<typeof PipelineRow>;

export const StrategyRow = z.object({
  strategy_id: z.string(),
  pipeline_id: z.string(),
  description: z.string().nullable(),
  ...SlotFields,
});
export type StrategyRow = z.infer<typeof StrategyRow>;

export type SlotRow = PipelineRow | StrategyRow;

export const AssetRow = z.object({
  symbol: z.string(),
  category: z.string(),
  strategy_id: z.string().nullable(),
  module_params: z.record(z.string(), Json),
  disabled_modules: z.array(z.string()),
  is_active: z.boolean(),
});
export type AssetRow = z.infer<typeof AssetRow>;

export const RiskRow = z.object({
  rule_id: z.string(),
  description: z.string().nullable(),
  module_id: z.string().nullable(),
  profile: z.enum(['low', 'medium', 'high']).nullable(),
  params: Json,
  priority: z.number().int(),
  is_active: z.boolean(),
});
export type RiskRow = z.infer<typeof RiskRow>;

/** Everything the planner needs, read in one go. */
export interface ConfigSnapshot {
  registry: RegistryRow[];
  pipeline: PipelineRow[];
  strategies: StrategyRow[];
  assets: AssetRow[];
  risk: RiskRow[];
}
