import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../core/paths.ts';

/**
 * The real `trader` bin as `npm run demo:live` drives it: each call is shown on stderr as
 * a user would type it (answers piped on stdin are named, never shown: they hold the PIN
 * and the keys), its output captured. A call that exits otherwise than expected stops the
 * demo with its last stderr lines.
 */

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  done: Promise<Exited>;
}

export class DemoStepFailed extends Error {}

const bin = path.join(packageRoot, 'bin', 'trader.js');

export interface TraderCli {
  /** Starts `trader ...args` with `input` on stdin; `shown` names what was piped. */
  start(args: string[], o?: { input?: string; shown?: string }): Started;
  /** Runs it to its end; exit codes other than `expect` (default [0]) stop the demo. */
  run(args: string[], o?: { input?: string; shown?: string; expect?: number[] }): Promise<Exited>;
  /** `run` with --json, the document parsed. */
  json<T>(args: string[], o?: { input?: string; shown?: string; expect?: number[] }): Promise<T>;
  /** `trader db sql --json <query>`: the rows. */
  sql<T>(query: string): Promise<T[]>;
}

export function traderCli(env: NodeJS.ProcessEnv, say: (line: string) => void): TraderCli {
  const start: TraderCli['start'] = (args, o = {}) => {
    const quoted = args.map((a) => (/^[\w./:=,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
    say(`  $ trader ${quoted}${o.shown ? `   (stdin: ${o.shown})` : ''}`);
    const child = spawn(process.execPath, [bin, ...args], {
      env,
      cwd: packageRoot,
      stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (o.input !== undefined) child.stdin!.end(o.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<Exited>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, done };
  };
  const run: TraderCli['run'] = async (args, o = {}) => {
    const r = await start(args, o).done;
    if (!(o.expect ?? [0]).includes(r.code ?? -1))
      throw new DemoStepFailed(
        `step "trader ${args.slice(0, 2).join(' ')}" exited with ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`,
      );
    return r;
  };
  const json: TraderCli['json'] = async (args, o = {}) => JSON.parse((await run([...args, '--json'], o)).stdout);
  return {
    start,
    run,
    json,
    sql: async <T>(query: string) => (await json<{ rows: T[] }>(['db', 'sql', query])).rows,
  };
}
