import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../../core/paths.ts';
import { GateReport } from '../../registry/gate-report.ts';
import { packFiles } from '../../registry/default-pack.ts';
import type { RegistryRow } from '../../registry/rows.ts';
import { sha256File } from '../loader/file-hash.ts';
import { computeImportGraph } from '../loader/import-graph.ts';
import { importModuleFile, preparedExport, type LoadedModule, type ModuleFn } from '../loader/module-loader.ts';
import { buildHarness, type Harness } from './gate-harness.ts';
import { runGatesIsolated } from '../../sandbox/isolated-gates.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';

/**
 * The shipped pack's gate results, computed once and checked in (`trader schema docs`
 * writes them, a test recomputes them and fails when they are stale), so `db seed` does
 * not re-judge 28 unchanged modules in every fresh database. A result is used only for
 * the exact files it was computed on: the key holds the module's and its producers'
 * sha256 and params.
 */
export const packGatesRelPath = 'registry/pack-gates.json';

const Shipped = z.record(z.string(), z.object({ key: z.string(), report: GateReport.omit({ checked_at: true }) }));

/** JSON with object keys sorted: params read back from jsonb come in another key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A module's code: its file's sha256, then those of the local files it imports (none for the shipped pack). */
const codeOf = (m: LoadedModule) => m.graph.files.map((f) => f.sha256).join('+');

/** What makes a gate result reusable: the module's code and params and those of the producers run before it. */
export function gateKey(target: LoadedModule, h: Harness): string {
  return [
    `${codeOf(target)}:${canonical(target.row.params ?? {})}`,
    ...h.producers.map((p) => `${codeOf(p.module)}:${canonical(p.params)}`),
  ].join('|');
}

let shipped: z.infer<typeof Shipped> | undefined;

/** The shipped result for this module and key, if the checked-in file has one. */
export function shippedGate(moduleId: string, key: string): GateReport | undefined {
  shipped ??= Shipped.parse(JSON.parse(fs.readFileSync(path.join(packageRoot, packGatesRelPath), 'utf8')));
  const entry = shipped[moduleId];
  return entry && entry.key === key ? { ...entry.report, checked_at: new Date().toISOString() } : undefined;
}

/**
 * A module file loaded for the gates as registration would load it (confined imports,
 * valid manifest), without a registry row: its params are the manifest's defaults.
 * `rel` is relative to `root`.
 */
export async function gateableModule(root: string, rel: string): Promise<LoadedModule> {
  const file = path.join(root, rel);
  const sha256 = sha256File(file);
  const graph = computeImportGraph(file, `${path.basename(root)}/${rel}`, root);
  if (!graph.ok) throw new Error(graph.problems.join('; '));
  const imported = await importModuleFile(file, sha256, rel);
  if (!imported.ok) throw new Error(imported.problems.join('; '));
  const m = imported.manifest;
  // The fields the sandbox's worker imports it by: its path (for messages) and its entry function.
  const row = {
    module_id: m.module_id,
    params: m.params.parse({}),
    script_path: `${path.basename(root)}/${rel}`,
    function_name: 'run',
  } as unknown as RegistryRow;
  return {
    row,
    manifest: m,
    run: imported.exports.run as ModuleFn,
    ...preparedExport(imported.exports),
    file,
    sha256,
    graph: graph.graph,
    pinned: false,
  };
}

/** Judges the pack as `db seed` registers it on an empty registry: in pack order, each with the modules registered before it. */
export async function renderPackGates(): Promise<string> {
  const root = path.join(packageRoot, 'modules');
  const registered: LoadedModule[] = [];
  const out: z.infer<typeof Shipped> = {};
  const sandbox = new Sandbox();
  try {
    for (const rel of packFiles) {
      const module = await gateableModule(root, rel);
      const h = buildHarness(module, registered);
      const { checked_at: _, ...report } = await runGatesIsolated(module, registered, sandbox);
      out[module.manifest.module_id] = { key: gateKey(module, h), report };
      if (report.status === 'passed') registered.push(module);
    }
  } finally {
    await sandbox.close();
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}
