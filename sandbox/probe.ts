import { isTraderError } from '../core/errors.ts';
import { labelId, Sandbox } from './sandbox.ts';

/**
 * Before the main thread imports a module file (it needs the manifest's params schema to
 * plan), the sandbox imports it under the load limit: a top level that loops, calls
 * process.exit or awaits forever is refused with one sentence instead of hanging or
 * silently ending the command. A file is probed once per content per process.
 */

let loader: Sandbox | undefined;
const probed = new Map<string, string[]>();

export async function probeModuleImport(file: string, sha256: string, label: string): Promise<string[]> {
  const key = `${file}|${sha256}`;
  const known = probed.get(key);
  if (known) return known;
  loader ??= new Sandbox();
  let problems: string[];
  try {
    problems = (await loader.request({ op: 'load', file, sha256, label, id: labelId(label) })).problems;
  } catch (e) {
    if (!isTraderError(e) || e.code === 'INTERRUPTED') throw e;
    problems = [e.message];
  }
  probed.set(key, problems);
  return problems;
}

/** Ends the loader's worker (tests; a command's process ends it by exiting). */
export async function closeProbe(): Promise<void> {
  await loader?.close();
  loader = undefined;
}
