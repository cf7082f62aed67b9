import type { LoadedModule } from '../engine/loader/module-loader.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { ModuleRef, PlanRef } from './protocol.ts';
import { labelId } from './sandbox.ts';

/** How a module is named in the sandbox's sentences: module_id@version. */
export const moduleLabel = (m: LoadedModule) => `${m.row.module_id}@${m.manifest.version}`;

/** The plain-data handle the worker imports a loaded module by. */
export function moduleRef(m: LoadedModule): ModuleRef {
  return { row: m.row, file: m.file, sha256: m.sha256, graph: m.graph, id: labelId(moduleLabel(m)) };
}

export function planRef(plan: Plan): PlanRef {
  return {
    ...plan,
    slots: plan.slots.map((s) => ({ ...s, limit_ms: s.limit_ms ?? null, module: moduleRef(s.module) })),
  };
}
