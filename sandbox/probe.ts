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

/**
 * Starts the loader's worker now and has it load the TypeScript loader, the module SDK
 * and the engine, while this thread opens the database: a command that will run modules
 * (run, backtest) starts them on two cores instead of one after the other.
 */
export function prewarmSandbox(): void {
  loader ??= new Sandbox();
  loader.request({ op: 'warm' }).catch(() => undefined); // a broken worker fails the first real request, with its sentence
}

/**
 * A sandbox for a run, backtest or gate: the loader itself when it has one (handed over
 * once), whose worker already registered the TypeScript loader and imported the files
 * just probed, so the run does not pay for both again; else a new one.
 */
export function warmSandbox(): Sandbox {
  const warm = loader ?? new Sandbox();
  loader = undefined;
  return warm;
}

/**
 * Hands a run's, backtest's or gate's sandbox back when it is done: a healthy worker
 * becomes the next one's warm sandbox (its TypeScript loader, engine and module imports
 * already loaded: a served or scheduled run then costs its decisions, not a worker's
 * start), else it is ended. Modules are pure functions of their view (the registration
 * gates check determinism), and a backtest's whole replay already runs in one worker, so
 * a module sees nothing new in a worker that served an earlier run.
 */
export async function releaseSandbox(sandbox: Sandbox): Promise<void> {
  if (loader === undefined && sandbox.reusable) {
    try {
      await sandbox.request({ op: 'forget' });
      if (loader === undefined && sandbox.reusable) {
        loader = sandbox;
        return;
      }
    } catch {
      // a worker that cannot forget is not reused
    }
  }
  await sandbox.close();
}

/** Ends the loader's worker (tests; a command's process ends it by exiting). */
export async function closeProbe(): Promise<void> {
  await loader?.close();
  loader = undefined;
}
