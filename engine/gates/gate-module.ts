import { modulesRoot } from '../../core/paths.ts';
import type { GateReport } from '../../registry/gate-report.ts';
import { getModule, listModules, recordGate } from '../../registry/registry-repo.ts';
import type { RegistryRow } from '../../registry/rows.ts';
import type { Queryable } from '../../store/db.ts';
import { loadModule, type LoadedModule } from '../loader/module-loader.ts';
import { buildHarness } from './gate-harness.ts';
import { runGatesIsolated } from '../../sandbox/isolated-gates.ts';
import { gateKey, shippedGate } from './pack-gates.ts';

/**
 * The gates depend only on the module's code, its producers' code and the shipped
 * sample, so a result is reused for the same files: within a process, and for the
 * shipped pack from the checked-in results (pack-gates.ts).
 */
const judged = new Map<string, GateReport>();

/** Runs the registration gates on a registered module and records the result; a failure deactivates it. */
export async function gateModule(
  q: Queryable,
  moduleId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryRow> {
  const root = modulesRoot(env);
  const row = await getModule(q, moduleId);
  const target = await loadModule(row, root);
  if (!target.ok) return row; // the loader's own checks report this module wherever it is used
  const available: LoadedModule[] = [];
  for (const r of await listModules(q)) {
    if (!r.is_active || r.module_id === moduleId || r.gate?.status === 'failed') continue;
    const loaded = await loadModule(r, root);
    if (loaded.ok) available.push(loaded.module);
  }
  const key = gateKey(target.module, buildHarness(target.module, available));
  let report = judged.get(key) ?? shippedGate(moduleId, key);
  // The gates run the module's code: in the sandbox, so a runaway module fails them instead of hanging here.
  if (!report) judged.set(key, (report = await runGatesIsolated(target.module, available)));
  return recordGate(q, moduleId, report);
}
