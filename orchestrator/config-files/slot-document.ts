import { z } from 'zod';
import type { PipelineRow, SlotRow, StrategyRow } from '../../registry/rows.ts';
import { OnError, stageOrder, type LogicType } from '../../sdk/stages.ts';
import { StepTimeLimit } from '../../sandbox/limits.ts';

/**
 * A pipeline or a strategy as a file: its module slots listed per stage, in run order. The
 * list order is the `position` (10, 20, ... within a stage), so a file never carries
 * position numbers; defaults (no params, not shadow, enabled, the stage's on_error, the
 * sandbox's default time limit) are
 * left out on export and filled in on read, so an exported file applies as "no change".
 */

const id = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-z][a-z0-9_]*$/, 'must be lower_snake_case (letters, digits, _; starting with a letter)');

const Slot = z.strictObject({
  module: id.describe('module_id of a registered module of this stage'),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Checked by the planner (the same condition rules as run_when rows). */
  when: z.unknown().optional(),
  shadow: z.boolean().default(false),
  on_error: OnError.optional(),
  enabled: z.boolean().default(true),
  /** This step's limit on one module call in ms (sandbox/limits.ts); absent: the default. */
  time_limit_ms: StepTimeLimit.optional(),
});
export type Slot = z.infer<typeof Slot>;

const stageList = z
  .array(Slot)
  .min(1, 'lists no module; leave the stage out instead')
  .superRefine((slots, ctx) => {
    const seen = new Set<string>();
    for (const [i, s] of slots.entries()) {
      if (seen.has(s.module))
        ctx.addIssue({ code: 'custom', path: [i, 'module'], message: `${s.module} is listed twice in this stage` });
      seen.add(s.module);
    }
  });

const Stages = z
  .strictObject(
    Object.fromEntries(stageOrder.map((s) => [s, stageList.optional()])) as Record<
      LogicType,
      z.ZodOptional<typeof stageList>
    >,
  )
  .refine((s) => Object.values(s).some((list) => list !== undefined), 'name at least one stage');

export const PipelineFile = z.strictObject({
  pipeline: id,
  stages: Stages,
});
export type PipelineFile = z.infer<typeof PipelineFile>;

export const StrategyFile = z.strictObject({
  strategy: id,
  /** The pipeline whose stages this strategy replaces. */
  pipeline: id.default('default'),
  description: z.string().max(500).nullable().default(null),
  stages: Stages,
});
export type StrategyFile = z.infer<typeof StrategyFile>;

export type SlotFile = PipelineFile | StrategyFile;

/** The slot columns of rows for a file's stages, positions 10, 20, ... per stage. */
export function slotColumns(stages: SlotFile['stages']) {
  return stageOrder.flatMap((stage) =>
    (stages[stage] ?? []).map((s, i) => ({
      stage,
      position: (i + 1) * 10,
      module_id: s.module,
      params: s.params,
      run_when: s.when ?? null,
      shadow: s.shadow,
      on_error: s.on_error ?? null,
      is_enabled: s.enabled,
      time_limit_ms: s.time_limit_ms ?? null,
    })),
  );
}

export function pipelineRows(doc: PipelineFile): PipelineRow[] {
  return slotColumns(doc.stages).map((c) => ({ pipeline_id: doc.pipeline, ...c }));
}

export function strategyRows(doc: StrategyFile): StrategyRow[] {
  return slotColumns(doc.stages).map((c) => ({
    strategy_id: doc.strategy,
    pipeline_id: doc.pipeline,
    description: doc.description,
    ...c,
  }));
}

type SlotColumns = Pick<
  SlotRow,
  'stage' | 'position' | 'module_id' | 'params' | 'run_when' | 'shadow' | 'on_error' | 'is_enabled' | 'time_limit_ms'
>;

/** Rows (of one pipeline or strategy) as the file's stages, defaults left out. */
export function stagesOf(rows: readonly SlotColumns[]): SlotFile['stages'] {
  const stages: Partial<Record<LogicType, Slot[]>> = {};
  const sorted = [...rows].sort(
    (a, b) =>
      stageOrder.indexOf(a.stage) - stageOrder.indexOf(b.stage) ||
      a.position - b.position ||
      a.module_id.localeCompare(b.module_id),
  );
  for (const r of sorted) {
    const slot = {
      module: r.module_id,
      ...(Object.keys(r.params).length ? { params: r.params } : {}),
      ...(r.run_when != null ? { when: r.run_when } : {}),
      ...(r.shadow ? { shadow: true } : {}),
      ...(r.on_error ? { on_error: r.on_error } : {}),
      ...(r.is_enabled ? {} : { enabled: false }),
      ...(r.time_limit_ms != null ? { time_limit_ms: r.time_limit_ms } : {}),
    } as Slot;
    (stages[r.stage] ??= []).push(slot);
  }
  return stages as SlotFile['stages'];
}

/** A file's document with defaults left out, as export writes it. */
export function compactStages<D extends SlotFile>(doc: D): D {
  return { ...doc, stages: stagesOf(slotColumns(doc.stages)) };
}
