import path from 'node:path';
import { TraderError } from '../core/errors.ts';
import { modulesRoot } from '../core/paths.ts';
import { upsertModule } from '../registry/registry-repo.ts';
import type { RegistryRow } from '../registry/rows.ts';
import type { Queryable } from '../store/db.ts';
import { confineScriptPath, scriptPathFor } from './loader/confine-path.ts';
import { importModuleFile, sha256File } from './loader/module-loader.ts';
import { gateModule } from './gates/gate-module.ts';

/** Reads a module file for registration: confined to the modules root, hashed, manifest checked, defaults computed. */
export async function readModuleFile(file: string, env: NodeJS.ProcessEnv = process.env) {
  const root = modulesRoot(env);
  const relative = path.relative(root, path.resolve(file));
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new TraderError('BAD_INPUT', `Cannot register ${file}: it is outside the modules root ${root}.`);
  const script_path = scriptPathFor(file, root);
  const where = confineScriptPath(script_path, root);
  if (!where.ok) throw new TraderError('BAD_INPUT', `Cannot register ${file}: ${where.reason}.`);
  const sha256 = sha256File(where.file);
  const imported = await importModuleFile(where.file, sha256, script_path);
  if (!imported.ok) throw new TraderError('BAD_INPUT', `Cannot register ${file}: ${imported.problems.join('; ')}.`);
  if (typeof imported.exports.run !== 'function') throw new TraderError('BAD_INPUT', `Cannot register ${file}: it does not export a function named 'run'.`);
  const defaults = imported.manifest.params.safeParse({});
  if (!defaults.success) {
    const issue = defaults.error.issues[0]!;
    throw new TraderError('BAD_INPUT', `Cannot register ${file}: params.${issue.path.join('.')} has no default; give every param a .default().`);
  }
  return { script_path, sha256, manifest: imported.manifest, defaults: defaults.data as Record<string, unknown> };
}

/**
 * Registers (or re-registers, re-pinning the hash) a module file from its own manifest,
 * then runs the registration gates (orchestrator/gates/): a module that fails them is
 * recorded inactive with the reason.
 */
export async function registerModuleFile(q: Queryable, file: string, options: { activate: boolean; env?: NodeJS.ProcessEnv }): Promise<RegistryRow> {
  const info = await readModuleFile(path.resolve(file), options.env);
  const m = info.manifest;
  await upsertModule(q, {
    module_id: m.module_id,
    logic_type: m.logic_type,
    version: m.version,
    description: m.description,
    script_path: info.script_path,
    function_name: 'run',
    input_keys: m.input_keys,
    output_keys: m.output_keys,
    sha256: info.sha256,
    params: info.defaults,
    is_active: options.activate,
  });
  return gateModule(q, m.module_id, options.env);
}
