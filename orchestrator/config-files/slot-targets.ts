import { z } from 'zod';
import { readConfig } from '../../registry/config-repo.ts';
import { defaultPipelineId } from '../../registry/default-pack.ts';
import { type ConfigSnapshot, PipelineRow, type SlotRow, StrategyRow } from '../../registry/rows.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import type { PlanScope } from '../../engine/plan/plan-types.ts';
import type { DocumentTarget } from './apply-document.ts';
import { canonical } from '../../core/canonical.ts';
import { planningProblems } from './plan-check.ts';
import {
  compactStages,
  PipelineFile,
  pipelineRows,
  slotColumns,
  type SlotFile,
  stagesOf,
  StrategyFile,
  strategyRows,
} from './slot-document.ts';
import { toYaml } from './yaml-file.ts';

/** How a pipeline and a strategy differ as files: their table, id column and rows. */
interface SlotKind<D extends SlotFile> {
  kind: 'pipeline' | 'strategy';
  table: 'pipeline_config' | 'strategy_config';
  idColumn: 'pipeline_id' | 'strategy_id';
  schema: z.ZodType<D>;
  rowSchema: z.ZodType<SlotRow>;
  nameOf(doc: D): string;
  rowsOf(doc: D): SlotRow[];
  docOf(name: string, rows: SlotRow[]): unknown;
  /** The scopes to plan: every plan this document takes part in, in the proposed configuration. */
  scopes(doc: D, config: ConfigSnapshot): Omit<PlanScope, 'riskProfile'>[];
  /** Problems the planner cannot see (it plans enabled slots only). */
  extraProblems(doc: D, config: ConfigSnapshot): string[];
}

/** Every slot's module must be registered, enabled or not: the table's foreign key needs it. */
function unregistered(doc: SlotFile, config: ConfigSnapshot): string[] {
  return slotColumns(doc.stages)
    .filter((c) => !config.registry.some((r) => r.module_id === c.module_id))
    .map(
      (c) =>
        `stages.${c.stage}: module ${c.module_id} is not registered; register its file with \`trader module register <file>\` (see \`trader module list\`)`,
    );
}

/** Plans every scope the document takes part in, against the configuration as it would be after the apply. */
async function planProblems<D extends SlotFile>(spec: SlotKind<D>, q: Queryable, doc: D): Promise<string[]> {
  const config = await readConfig(q);
  const name = spec.nameOf(doc);
  const next: ConfigSnapshot =
    spec.kind === 'pipeline'
      ? {
          ...config,
          pipeline: [...config.pipeline.filter((r) => r.pipeline_id !== name), ...pipelineRows(doc as PipelineFile)],
        }
      : {
          ...config,
          strategies: [
            ...config.strategies.filter((r) => r.strategy_id !== name),
            ...strategyRows(doc as StrategyFile),
          ],
        };
  const early = [...unregistered(doc, config), ...spec.extraProblems(doc, next)];
  if (early.length > 0) return early;
  return planningProblems(
    next,
    spec.scopes(doc, next).map((scope) => ({ scope })),
  );
}

/** What changed, slot by slot, for the audit row. */
function slotChanges(next: SlotFile, current: SlotFile | null) {
  const key = (c: { stage: string; module_id: string }) => `${c.stage}/${c.module_id}`;
  const before = new Map((current ? slotColumns(current.stages) : []).map((c) => [key(c), canonical(c)]));
  const after = new Map(slotColumns(next.stages).map((c) => [key(c), canonical(c)]));
  return {
    added: [...after.keys()].filter((k) => !before.has(k)),
    removed: [...before.keys()].filter((k) => !after.has(k)),
    changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)),
  };
}

function slotTarget<D extends SlotFile>(spec: SlotKind<D>, header: (doc: D) => string[]): DocumentTarget<D> {
  return {
    kind: spec.kind,
    noun: spec.kind,
    schema: spec.schema,
    nameOf: spec.nameOf,
    transaction: (db, fn) => db.transaction(fn),
    async read(q, name) {
      const rows = await queryRows(q, spec.rowSchema, `select * from ${spec.table} where ${spec.idColumn} = $1`, [
        name,
      ]);
      if (rows.length === 0) return null;
      const raw = spec.docOf(name, rows);
      // Rows written by SQL may break the file's rules; they are still shown, and differ from any valid file.
      const parsed = spec.schema.safeParse(raw);
      return parsed.success ? parsed.data : (raw as D);
    },
    async known(q) {
      const rows = await q.query<{ id: string }>(
        `select distinct ${spec.idColumn} as id from ${spec.table} order by 1`,
      );
      return rows.map((r) => r.id);
    },
    problems: (q, next) => planProblems(spec, q, next),
    warnings: () => [],
    render: (doc) => toYaml(compactStages(doc), header(doc)),
    async write(tx, next, current) {
      const name = spec.nameOf(next);
      await tx.query(`delete from ${spec.table} where ${spec.idColumn} = $1`, [name]);
      for (const row of spec.rowsOf(next)) {
        const columns = Object.keys(row);
        await tx.query(
          `insert into ${spec.table} (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
          Object.values(row),
        );
      }
      return slotChanges(next, current);
    },
    auditScope: () => Promise.resolve({ mode: 'SYSTEM', risk_profile: null }),
  };
}

export const pipelineTarget = slotTarget<PipelineFile>(
  {
    kind: 'pipeline',
    table: 'pipeline_config',
    idColumn: 'pipeline_id',
    schema: PipelineFile,
    rowSchema: PipelineRow,
    nameOf: (d) => d.pipeline,
    rowsOf: pipelineRows,
    docOf: (name, rows) => ({ pipeline: name, stages: stagesOf(rows) }),
    scopes: (doc, config) => [
      { pipelineId: doc.pipeline, strategyId: null, asset: undefined },
      ...[...new Set(config.strategies.filter((s) => s.pipeline_id === doc.pipeline).map((s) => s.strategy_id))].map(
        (strategyId) => ({ pipelineId: doc.pipeline, strategyId, asset: undefined }),
      ),
      // Assets run on the default pipeline, each with its own strategy and overrides.
      ...(doc.pipeline === defaultPipelineId
        ? config.assets.map((asset) => ({ pipelineId: doc.pipeline, strategyId: asset.strategy_id, asset }))
        : []),
    ],
    extraProblems: () => [],
  },
  (d) => [
    `Pipeline ${d.pipeline}: its module slots per stage, in run order (trader pipeline apply <this file>).`,
    'Each slot: module, and optionally params, when (a run_when condition), shadow, on_error, enabled, time_limit_ms.',
  ],
);

export const strategyTarget = slotTarget<StrategyFile>(
  {
    kind: 'strategy',
    table: 'strategy_config',
    idColumn: 'strategy_id',
    schema: StrategyFile,
    rowSchema: StrategyRow,
    nameOf: (d) => d.strategy,
    rowsOf: strategyRows,
    docOf: (name, rows) => ({
      strategy: name,
      pipeline: rows[0]!.pipeline_id,
      description: (rows as StrategyRow[]).find((r) => r.description)?.description ?? null,
      stages: stagesOf(rows),
    }),
    scopes: (doc, config) => [
      { pipelineId: doc.pipeline, strategyId: doc.strategy, asset: undefined },
      ...config.assets
        .filter((a) => a.strategy_id === doc.strategy)
        .map((asset) => ({ pipelineId: doc.pipeline, strategyId: doc.strategy, asset })),
    ],
    extraProblems: (doc, config) =>
      config.pipeline.some((r) => r.pipeline_id === doc.pipeline)
        ? []
        : [`pipeline: pipeline ${doc.pipeline} does not exist; a strategy replaces stages of an existing pipeline`],
  },
  (d) => [
    `Strategy ${d.strategy}: it replaces every stage it names in pipeline ${d.pipeline} (trader strategy apply <this file>).`,
    'Each slot: module, and optionally params, when (a run_when condition), shadow, on_error, enabled, time_limit_ms.',
  ],
);
