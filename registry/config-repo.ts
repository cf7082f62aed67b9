import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import type { Queryable } from '../store/db.ts';
import { AssetRow, type ConfigSnapshot, PipelineRow, RegistryRow, RiskRow, StrategyRow } from './rows.ts';
import { schemaProblems } from '../core/schema-problems.ts';
import { shortText } from '../core/quote.ts';

/** Reads rows and validates each; a malformed row is a configuration error naming the row. */
async function readTable<S extends z.ZodType>(
  q: Queryable,
  schema: S,
  table: string,
  sql: string,
  idOf: (row: Record<string, unknown>) => string,
  params: unknown[] = [],
) {
  const rows = await q.query(sql, params);
  return rows.map((row) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success) {
      throw new TraderError(
        'CONFIG_INVALID',
        `${schemaProblems(`${table} row ${shortText(idOf(row))}`, parsed.error)}.`,
      );
    }
    return parsed.data as z.infer<S>;
  });
}

export async function readConfig(q: Queryable): Promise<ConfigSnapshot> {
  const registry = await readTable(
    q,
    RegistryRow,
    'module_registry',
    'select * from module_registry order by module_id',
    (r) => String(r.module_id),
  );
  const pipeline = await readTable(
    q,
    PipelineRow,
    'pipeline_config',
    'select * from pipeline_config order by pipeline_id, stage, position, module_id',
    (r) => `${r.pipeline_id}/${r.stage}/${r.module_id}`,
  );
  const strategies = await readTable(
    q,
    StrategyRow,
    'strategy_config',
    'select * from strategy_config order by strategy_id, stage, position, module_id',
    (r) => `${r.strategy_id}/${r.stage}/${r.module_id}`,
  );
  const assets = await readTable(q, AssetRow, 'asset_config', 'select * from asset_config order by symbol', (r) =>
    String(r.symbol),
  );
  const risk = await readTable(
    q,
    RiskRow,
    'risk_config',
    'select * from risk_config where is_active order by priority, rule_id',
    (r) => String(r.rule_id),
  );
  return { registry, pipeline, strategies, assets, risk };
}
