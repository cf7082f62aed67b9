import { z } from 'zod';

/**
 * The packages a module may import besides its own folder and the SDK. zod is the one
 * the SDK itself re-exports (`z`), so importing it directly gives nothing new; anything
 * else (a Node built-in, ccxt, pg...) could reach the outside world and is refused.
 */
export const allowedPackages: readonly string[] = ['zod'];

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * A module's local import graph as pinned at registration (engine/loader/import-graph.ts):
 * the module file first, then every file of its own folder it imports, transitively, each
 * with its sha256 and what it imports. Kept in `module_registry.import_graph`; the loader
 * refuses the module when any of these files changed.
 */
export const ImportGraph = z.object({
  files: z
    .array(
      z.object({
        path: z.string().describe('relative to the folder holding the modules root, like script_path'),
        sha256: Sha256,
        imports: z.array(z.string()).describe('files of the module folder it imports (paths as above)'),
        sdk: z.array(z.string()).describe('SDK files it imports, relative to the package (sdk/index.ts)'),
        packages: z.array(z.string()).describe('allowed packages it imports'),
      }),
    )
    .min(1),
});
export type ImportGraph = z.infer<typeof ImportGraph>;
