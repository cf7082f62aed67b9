import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from './paths.ts';

/**
 * Module files are TypeScript. The engine runs compiled (dist/) or through tsx; compiled,
 * this thread has no loader for `.ts` until the first module file is imported, so that
 * import registers tsx here first. Through tsx the loader is already in place.
 */
let ready: Promise<void> | null = import.meta.url.endsWith('.ts') ? Promise.resolve() : null;

function typeScriptLoader(): Promise<void> {
  ready ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return ready;
}

/** Imports a TypeScript file (a module file) by URL, with the loader in place. */
export async function importTypeScript(url: string): Promise<Record<string, unknown>> {
  await typeScriptLoader();
  return (await import(url)) as Record<string, unknown>;
}

let sdk: Promise<unknown> | null = null;

/**
 * Loads the loader and the module SDK (the sources modules import, zod included) once,
 * so that a module file's import under its time limit pays for its own top level only,
 * not for what every module shares.
 */
export function warmModuleImports(): Promise<unknown> {
  sdk ??= importTypeScript(pathToFileURL(path.join(packageRoot, 'sdk', 'index.ts')).href);
  return sdk;
}
