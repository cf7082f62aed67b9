import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../../core/errors.ts';
import { ManifestShape, rowManifestMismatches } from '../../registry/manifest-check.ts';
import type { RegistryRow } from '../../registry/rows.ts';
import type { ModuleSdk } from '../../sdk/define-module.ts';
import { confineScriptPath } from './confine-path.ts';

export type ModuleFn = (view: unknown, params: unknown, sdk: ModuleSdk) => unknown;

export interface LoadedModule {
  row: RegistryRow;
  manifest: ManifestShape;
  run: ModuleFn;
  sha256: string;
  /** True when the row had no hash and this load pinned the file's current one. */
  pinned: boolean;
}

export type LoadResult = { ok: true; module: LoadedModule } | { ok: false; problems: string[] };

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Imports a module file once per content: the hash in the URL makes an edited file load fresh. */
async function importPinned(file: string, sha: string): Promise<Record<string, unknown>> {
  return (await import(`${pathToFileURL(file).href}?sha256=${sha}`)) as Record<string, unknown>;
}

/** Imports a module file and checks its manifest export; `label` names the file in messages. */
export async function importModuleFile(
  file: string,
  sha: string,
  label: string,
): Promise<{ ok: true; exports: Record<string, unknown>; manifest: ManifestShape } | { ok: false; problems: string[] }> {
  let exports: Record<string, unknown>;
  try {
    exports = await importPinned(file, sha);
  } catch (e) {
    return { ok: false, problems: [`module file ${label} failed to import: ${errorMessage(e).split('\n')[0]}`] };
  }
  const manifest = ManifestShape.safeParse(exports.manifest);
  if (!manifest.success) {
    const issue = manifest.error.issues[0]!;
    return { ok: false, problems: [`module file ${label} has no valid manifest export (manifest.${issue.path.join('.')}: ${issue.message})`] };
  }
  return { ok: true, exports, manifest: manifest.data };
}

/**
 * Loads one registered module with every check the registry promises: confined path,
 * file hash equal to the pinned one (or pinned now if the row has none), a valid
 * manifest that agrees with the row, and an entry function by the row's name.
 */
export async function loadModule(row: RegistryRow, root: string): Promise<LoadResult> {
  const where = confineScriptPath(row.script_path, root);
  if (!where.ok) return { ok: false, problems: [where.reason] };
  const sha = sha256File(where.file);
  if (row.sha256 && row.sha256 !== sha) {
    return {
      ok: false,
      problems: [
        `module file ${row.script_path} changed since it was registered (sha256 ${sha.slice(0, 12)}… is not the pinned ${row.sha256.slice(0, 12)}…); review it and run \`trader module register ${row.script_path}\``,
      ],
    };
  }
  const imported = await importModuleFile(where.file, sha, row.script_path);
  if (!imported.ok) return imported;
  const { exports, manifest } = imported;
  const problems = rowManifestMismatches(row, manifest);
  const run = exports[row.function_name];
  if (typeof run !== 'function') problems.push(`module file ${row.script_path} does not export a function named '${row.function_name}'`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, module: { row, manifest, run: run as ModuleFn, sha256: sha, pinned: row.sha256 === null } };
}
