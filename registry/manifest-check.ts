import { z } from 'zod';
import { LogicType } from '../sdk/stages.ts';
import type { RegistryRow } from './rows.ts';
import { quote } from '../core/quote.ts';

/** What a module file must export as `manifest`, checked at load time (modules are untrusted input). */
export const ManifestShape = z.object({
  module_id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lowercase letters, digits and _'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'semantic version like 1.0.0'),
  logic_type: LogicType,
  description: z.string().min(1),
  input_keys: z.array(z.string()),
  output_keys: z.array(z.string()).min(1, 'a module must declare at least one output key'),
  params: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'params must be a zod schema'),
});
export type ManifestShape = z.infer<typeof ManifestShape>;

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** Every way the registry row disagrees with the module's own manifest, one sentence each. */
export function rowManifestMismatches(row: RegistryRow, manifest: ManifestShape): string[] {
  const out: string[] = [];
  const fields = ['module_id', 'version', 'logic_type'] as const;
  for (const f of fields) {
    if (row[f] !== manifest[f])
      out.push(`registry ${f} is ${quote(row[f])} but the manifest says ${quote(manifest[f])}`);
  }
  if (!sameSet(row.input_keys, manifest.input_keys)) {
    out.push(
      `registry input_keys {${row.input_keys.join(', ')}} differ from the manifest's {${manifest.input_keys.join(', ')}}`,
    );
  }
  if (!sameSet(row.output_keys, manifest.output_keys)) {
    out.push(
      `registry output_keys {${row.output_keys.join(', ')}} differ from the manifest's {${manifest.output_keys.join(', ')}}`,
    );
  }
  return out;
}
