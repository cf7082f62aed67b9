import { pathToFileURL } from 'node:url';
import { errorMessage } from '../../core/errors.ts';
import type { ImportGraph } from '../../registry/import-graph.ts';
import { ManifestShape, rowManifestMismatches } from '../../registry/manifest-check.ts';
import type { RegistryRow } from '../../registry/rows.ts';
import type { ModuleSdk } from '../../sdk/define-module.ts';
import type { PreparedView } from '../../sdk/prepared.ts';
import type { PrepareFn } from '../run/prepared-columns.ts';
import { confineScriptPath } from './confine-path.ts';
import { sha256File } from './file-hash.ts';
import { computeImportGraph, pinnedGraphProblems } from './import-graph.ts';
import { probeModuleImport } from '../../sandbox/probe.ts';
import { quote } from '../../core/quote.ts';
import { importTypeScript } from '../../core/ts-loader.ts';
import { issueText } from '../../core/schema-problems.ts';

export type ModuleFn = (view: unknown, params: unknown, sdk: ModuleSdk, prepared?: PreparedView) => unknown;

export interface LoadedModule {
  row: RegistryRow;
  manifest: ManifestShape;
  run: ModuleFn;
  /** Its `prepare` export (sdk/prepared.ts), when it has one. */
  prepare?: PrepareFn;
  /** The module file's absolute path: the sandbox's worker imports it from there. */
  file: string;
  sha256: string;
  /** Its local import graph: pinned in the row, or computed by this load. */
  graph: ImportGraph;
  /** True when the row had no hash or no import graph and this load computed the file's current ones. */
  pinned: boolean;
}

export type LoadResult = { ok: true; module: LoadedModule } | { ok: false; problems: string[] };

/** Imports a module file once per content: the hash in the URL makes an edited file load fresh. */
async function importPinned(file: string, sha: string): Promise<Record<string, unknown>> {
  return importTypeScript(`${pathToFileURL(file).href}?sha256=${sha}`);
}

/** The line of an import error that says what and where (tsx's first line is only "Transform failed with 1 error:"). */
function importFailure(e: unknown, file: string, label: string): string {
  const lines = errorMessage(e).split('\n');
  return (lines.find((l) => l.startsWith(`${file}:`)) ?? lines[0]!).replace(file, label);
}

/**
 * Imports a module file and checks its manifest export; `label` names the file in
 * messages. The sandbox imports it first, under its time limit (probe.ts): a top level
 * that loops, ends the process or never settles is refused before it runs here.
 */
export async function importModuleFile(
  file: string,
  sha: string,
  label: string,
): Promise<
  { ok: true; exports: Record<string, unknown>; manifest: ManifestShape } | { ok: false; problems: string[] }
> {
  const probed = await probeModuleImport(file, sha, label);
  if (probed.length > 0) return { ok: false, problems: probed };
  return importUnsandboxed(file, sha, label);
}

/** The import itself, in whatever thread calls it: the sandbox's worker, or the main thread after a probe. */
export async function importUnsandboxed(
  file: string,
  sha: string,
  label: string,
): Promise<
  { ok: true; exports: Record<string, unknown>; manifest: ManifestShape } | { ok: false; problems: string[] }
> {
  let exports: Record<string, unknown>;
  try {
    exports = await importPinned(file, sha);
  } catch (e) {
    return { ok: false, problems: [`module file ${label} failed to import: ${importFailure(e, file, label)}`] };
  }
  const manifest = ManifestShape.safeParse(exports.manifest);
  if (!manifest.success) {
    return {
      ok: false,
      problems: [
        `module file ${label} has no valid manifest export (${manifest.error.issues.map((i) => issueText(i, ['manifest'])).join('; ')})`,
      ],
    };
  }
  return { ok: true, exports, manifest: manifest.data };
}

/**
 * The row's import graph checked against the files (every pinned file unchanged), or
 * computed now (parsed, never run) when the row has none yet.
 */
function checkedGraph(
  row: RegistryRow,
  file: string,
  root: string,
): { ok: true; graph: ImportGraph } | { ok: false; problems: string[] } {
  if (!row.import_graph) return computeImportGraph(file, row.script_path, root);
  const problems = pinnedGraphProblems(row.import_graph, file, row.script_path, root);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, graph: row.import_graph };
}

/**
 * Loads one registered module with every check the registry promises: confined path,
 * file hash equal to the pinned one (or pinned now if the row has none), its imports
 * confined and unchanged since registration (or pinned now), a valid manifest that
 * agrees with the row, and an entry function by the row's name.
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
  const graph = checkedGraph(row, where.file, root);
  if (!graph.ok) return graph;
  const imported = await importModuleFile(where.file, sha, row.script_path);
  if (!imported.ok) return imported;
  const { exports, manifest } = imported;
  const problems = rowManifestMismatches(row, manifest);
  const run = exports[row.function_name];
  if (typeof run !== 'function')
    problems.push(`module file ${row.script_path} does not export a function named ${quote(row.function_name)}`);
  problems.push(...prepareProblems(exports, manifest, row.script_path));
  if (problems.length > 0) return { ok: false, problems };
  const pinned = row.sha256 === null || row.import_graph === null;
  return {
    ok: true,
    module: {
      row,
      manifest,
      run: run as ModuleFn,
      ...preparedExport(exports),
      file: where.file,
      sha256: sha,
      graph: graph.graph,
      pinned,
    },
  };
}

/** The module's `prepare`, as a LoadedModule field (absent when it exports none). */
export function preparedExport(exports: Record<string, unknown>): { prepare?: PrepareFn } {
  return typeof exports.prepare === 'function' ? { prepare: exports.prepare as PrepareFn } : {};
}

/** A `prepare` export that is not a function, or that reads candles the manifest does not declare. */
export function prepareProblems(exports: Record<string, unknown>, manifest: ManifestShape, label: string): string[] {
  if (exports.prepare === undefined) return [];
  if (typeof exports.prepare !== 'function') return [`module file ${label} exports a prepare that is not a function`];
  return manifest.input_keys.includes('candles')
    ? []
    : [
        `module file ${label} exports prepare, which reads the candles, but its manifest does not declare 'candles' in input_keys`,
      ];
}
