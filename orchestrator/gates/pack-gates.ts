import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../../core/paths.ts';
import { GateReport } from '../../registry/gate-report.ts';
import { packFiles } from '../../registry/default-pack.ts';
import type { RegistryRow } from '../../registry/rows.ts';
import { importModuleFile, sha256File, type LoadedModule, type ModuleFn } from '../loader/module-loader.ts';
import { buildHarness, type Harness } from './gate-harness.ts';
import { runModuleGates } from './module-gates.ts';

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
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** What makes a gate result reusable: the module's code and params and those of the producers run before it. */
export function gateKey(target: LoadedModule, h: Harness): string {
  return [`${target.sha256}:${canonical(target.row.params ?? {})}`, ...h.producers.map((p) => `${p.module.sha256}:${canonical(p.params)}`)].join('|');
}

let shipped: z.infer<typeof Shipped> | undefined;

/** The shipped result for this module and key, if the checked-in file has one. */
export function shippedGate(moduleId: string, key: string): GateReport | undefined {
  shipped ??= Shipped.parse(JSON.parse(fs.readFileSync(path.join(packageRoot, packGatesRelPath), 'utf8')));
  const entry = shipped[moduleId];
  return entry && entry.key === key ? { ...entry.report, checked_at: new Date().toISOString() } : undefined;
}

/** Judges the pack as `db seed` registers it on an empty registry: in pack order, each with the modules registered before it. */
export async function renderPackGates(): Promise<string> {
  const root = path.join(packageRoot, 'modules');
  const registered: LoadedModule[] = [];
  const out: z.infer<typeof Shipped> = {};
  for (const rel of packFiles) {
    const file = path.join(root, rel);
    const sha256 = sha256File(file);
    const imported = await importModuleFile(file, sha256, rel);
    if (!imported.ok) throw new Error(imported.problems.join('; '));
    const m = imported.manifest;
    const row = { module_id: m.module_id, params: m.params.parse({}) } as unknown as RegistryRow;
    const module: LoadedModule = { row, manifest: m, run: imported.exports.run as ModuleFn, sha256, pinned: false };
    const h = buildHarness(module, registered);
    const { checked_at: _, ...report } = runModuleGates(module, registered);
    out[m.module_id] = { key: gateKey(module, h), report };
    if (report.status === 'passed') registered.push(module);
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}
