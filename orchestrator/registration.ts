import path from 'node:path';
import { TraderError } from '../core/errors.ts';
import { modulesRoot } from '../core/paths.ts';
import type { ImportGraph } from '../registry/import-graph.ts';
import type { ManifestShape } from '../registry/manifest-check.ts';
import { findModule, upsertModule } from '../registry/registry-repo.ts';
import type { RegistryRow } from '../registry/rows.ts';
import type { Queryable } from '../store/db.ts';
import { confineScriptPath, scriptPathFor } from '../engine/loader/confine-path.ts';
import { sha256File } from '../engine/loader/file-hash.ts';
import { computeImportGraph } from '../engine/loader/import-graph.ts';
import { importModuleFile, prepareProblems } from '../engine/loader/module-loader.ts';
import { gateModule } from '../engine/gates/gate-module.ts';
import { pathText } from '../core/quote.ts';

/** A module file as read for registration. */
export interface ModuleFileInfo {
  file: string;
  script_path: string;
  sha256: string;
  import_graph: ImportGraph;
  manifest: ManifestShape;
  defaults: Record<string, unknown>;
}

/**
 * Reads a module file for registration: confined to the modules root, its imports parsed
 * and confined (before anything of it runs), hashed, manifest checked, defaults computed.
 */
export async function readModuleFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ModuleFileInfo> {
  const root = modulesRoot(env);
  const relative = path.relative(root, path.resolve(file));
  if (relative.startsWith('..') || path.isAbsolute(relative))
    throw new TraderError('BAD_INPUT', `Cannot register ${pathText(file)}: it is outside the modules root ${root}.`);
  const script_path = scriptPathFor(file, root);
  const where = confineScriptPath(script_path, root);
  if (!where.ok) throw new TraderError('BAD_INPUT', `Cannot register ${pathText(file)}: ${where.reason}.`);
  const graph = computeImportGraph(where.file, script_path, root);
  if (!graph.ok) throw new TraderError('BAD_INPUT', `Cannot register ${pathText(file)}: ${graph.problems.join('; ')}.`);
  const sha256 = sha256File(where.file);
  const imported = await importModuleFile(where.file, sha256, script_path);
  if (!imported.ok)
    throw new TraderError('BAD_INPUT', `Cannot register ${pathText(file)}: ${imported.problems.join('; ')}.`);
  if (typeof imported.exports.run !== 'function')
    throw new TraderError('BAD_INPUT', `Cannot register ${pathText(file)}: it does not export a function named 'run'.`);
  const prepare = prepareProblems(imported.exports, imported.manifest, script_path);
  if (prepare.length > 0)
    throw new TraderError(
      'BAD_INPUT',
      `Cannot register ${pathText(file)}: ${prepare[0]!.replace(/^module file \S+ /, 'it ')}.`,
    );
  const defaults = imported.manifest.params.safeParse({});
  if (!defaults.success) {
    const issue = defaults.error.issues[0]!;
    throw new TraderError(
      'BAD_INPUT',
      `Cannot register ${pathText(file)}: params.${issue.path.join('.')} has no default; give every param a .default().`,
    );
  }
  return {
    file,
    script_path,
    sha256,
    import_graph: graph.graph,
    manifest: imported.manifest,
    defaults: defaults.data as Record<string, unknown>,
  };
}

/** The registered row this file's module_id already belongs to, when that row names another file. */
export async function claimedBy(q: Queryable, info: ModuleFileInfo): Promise<RegistryRow | null> {
  const row = await findModule(q, info.manifest.module_id);
  return row && row.script_path !== info.script_path ? row : null;
}

/** What to do when the module_id belongs to another file: refuse (the default), replace it, or keep it (db seed). */
export type OnClaimed = 'refuse' | 'replace' | 'keep';

/**
 * Registers (or re-registers, re-pinning its hashes) a module file from its own manifest,
 * then runs the registration gates (engine/gates/): a module that fails them is
 * recorded inactive with the reason. A module_id that belongs to another file is never
 * silently taken over: `onClaimed` decides.
 */
export async function registerModule(
  q: Queryable,
  info: ModuleFileInfo,
  options: { activate: boolean; onClaimed?: OnClaimed; env?: NodeJS.ProcessEnv },
): Promise<RegistryRow> {
  const m = info.manifest;
  const owner = await claimedBy(q, info);
  if (owner && options.onClaimed === 'keep') return owner;
  if (owner && options.onClaimed !== 'replace')
    throw new TraderError(
      'CONFIG_INVALID',
      `Cannot register ${info.file}: module ${m.module_id} is already registered from ${owner.script_path} (v${owner.version}); give this module another module_id, or replace it with \`trader module register ${info.file} --replace\`.`,
    );
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
    import_graph: info.import_graph,
    params: info.defaults,
    is_active: options.activate,
  });
  return gateModule(q, m.module_id, options.env);
}

/** Reads and registers a module file (see registerModule). */
export async function registerModuleFile(
  q: Queryable,
  file: string,
  options: { activate: boolean; onClaimed?: OnClaimed; env?: NodeJS.ProcessEnv },
): Promise<RegistryRow> {
  return registerModule(q, await readModuleFile(path.resolve(file), options.env), options);
}
