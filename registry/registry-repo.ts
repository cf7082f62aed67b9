import { TraderError } from '../core/errors.ts';
import { type Queryable, queryRows } from '../store/db.ts';
import type { GateReport } from './gate-report.ts';
import type { ImportGraph } from './import-graph.ts';
import { RegistryRow } from './rows.ts';
import { quote } from '../core/quote.ts';

export async function listModules(q: Queryable): Promise<RegistryRow[]> {
  return queryRows(q, RegistryRow, 'select * from module_registry order by logic_type, module_id');
}

export async function findModule(q: Queryable, moduleId: string): Promise<RegistryRow | null> {
  const [row] = await queryRows(q, RegistryRow, 'select * from module_registry where module_id = $1', [moduleId]);
  return row ?? null;
}

export async function getModule(q: Queryable, moduleId: string): Promise<RegistryRow> {
  const row = await findModule(q, moduleId);
  if (!row)
    throw new TraderError('NOT_FOUND', `Module ${quote(moduleId)} is not registered; see \`trader module list\`.`);
  return row;
}

/** Pins a hash and an import graph only where none is recorded, so a concurrent registration is never overwritten. */
export async function pinModule(q: Queryable, moduleId: string, sha256: string, graph: ImportGraph): Promise<boolean> {
  const rows = await q.query(
    `update module_registry set sha256 = coalesce(sha256, $2), import_graph = coalesce(import_graph, $3)
      where module_id = $1 and (sha256 is null or import_graph is null) returning module_id`,
    [moduleId, sha256, graph],
  );
  return rows.length === 1;
}

export async function setModuleActive(q: Queryable, moduleId: string, active: boolean): Promise<void> {
  const rows = await q.query('update module_registry set is_active = $2 where module_id = $1 returning module_id', [
    moduleId,
    active,
  ]);
  if (rows.length === 0)
    throw new TraderError('NOT_FOUND', `Module ${quote(moduleId)} is not registered; see \`trader module list\`.`);
}

/** Records a module's gate report; a failed gate deactivates it in the same statement. */
export async function recordGate(q: Queryable, moduleId: string, gate: GateReport): Promise<RegistryRow> {
  const [row] = await queryRows(
    q,
    RegistryRow,
    `update module_registry set gate = $2, is_active = is_active and $3 where module_id = $1 returning *`,
    [moduleId, gate, gate.status === 'passed'],
  );
  if (!row)
    throw new TraderError('NOT_FOUND', `Module ${quote(moduleId)} is not registered; see \`trader module list\`.`);
  return row;
}

export type ModuleRegistration = Pick<
  RegistryRow,
  | 'module_id'
  | 'logic_type'
  | 'version'
  | 'description'
  | 'script_path'
  | 'function_name'
  | 'input_keys'
  | 'output_keys'
  | 'sha256'
  | 'import_graph'
  | 'params'
> & { is_active: boolean };

/** Inserts or updates a module row from its manifest; activation is kept unless given. */
export async function upsertModule(q: Queryable, m: ModuleRegistration): Promise<RegistryRow> {
  const [row] = await queryRows(
    q,
    RegistryRow,
    `insert into module_registry (module_id, logic_type, version, description, script_path, function_name, input_keys, output_keys, sha256, import_graph, params, is_active)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     on conflict (module_id) do update set
       logic_type = excluded.logic_type, version = excluded.version, description = excluded.description,
       script_path = excluded.script_path, function_name = excluded.function_name, input_keys = excluded.input_keys,
       output_keys = excluded.output_keys, sha256 = excluded.sha256, import_graph = excluded.import_graph,
       params = excluded.params,
       is_active = module_registry.is_active or excluded.is_active
     returning *`,
    [
      m.module_id,
      m.logic_type,
      m.version,
      m.description,
      m.script_path,
      m.function_name,
      m.input_keys,
      m.output_keys,
      m.sha256,
      m.import_graph,
      m.params,
      m.is_active,
    ],
  );
  return row!;
}
