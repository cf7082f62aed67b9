import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openDb } from '../../store/open.ts';
import { type CliBackend, migratedTarget, type Target, traderArgv } from '../helpers/cli.ts';
import { addSlots, fixtureEnv, fixturesRoot, importSample, registerFixtures } from '../helpers/pipeline.ts';

/** Helpers for the sandbox's end-to-end tests: a database whose pipeline loops on ETH/USDT, and a watched child. */

/** A migrated database with ETH/USDT 2024 imported and runaway_v1 in the default pipeline with a 10-minute call limit. */
export async function runawayTarget(kind: CliBackend): Promise<Target> {
  const t = await migratedTarget(kind);
  try {
    const db = await openDb({ env: t.env });
    try {
      await importSample(db, 'ETH');
      await registerFixtures(db, ['agents/runaway_v1.ts'], fixtureEnv);
      await addSlots(db, [{ stage: 'agent', module_id: 'runaway_v1' }]);
      await db.query("update pipeline_config set time_limit_ms = 600000 where module_id = 'runaway_v1'");
    } finally {
      await db.close();
    }
  } catch (e) {
    await t.dispose();
    throw e;
  }
  return t;
}

export interface Child {
  /** Resolves when the child exits: its code and how long after `signal()` it took (ms). */
  exited: Promise<{ code: number | null; afterSignal: number | null }>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once `pattern` appears on stdout or stderr, or in the log file. */
  waitFor: (pattern: RegExp) => Promise<void>;
  signal: (sig: NodeJS.Signals) => void;
}

/** Spawns `trader ...args` with the fixtures' modules root and a log folder of its own. */
export function spawnWatched(args: string[], t: Target, logDir: string): Child {
  fs.mkdirSync(logDir, { recursive: true });
  const child = spawn(process.execPath, traderArgv(args), {
    env: { ...t.env, TRADER_MODULES_ROOT: fixturesRoot, TRADER_LOG_DIR: logDir, TRADER_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalledAt: number | null = null;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; afterSignal: number | null }>((resolve) =>
    child.once('exit', (code) =>
      resolve({ code, afterSignal: signalledAt === null ? null : Date.now() - signalledAt }),
    ),
  );
  let done = false;
  void exited.then(() => (done = true));
  const logText = () =>
    fs
      .readdirSync(logDir)
      .map((f) => fs.readFileSync(path.join(logDir, f), 'utf8'))
      .join('');
  return {
    exited,
    stdout: () => out,
    stderr: () => err,
    signal: (sig) => {
      signalledAt = Date.now();
      child.kill(sig);
    },
    async waitFor(pattern) {
      while (!pattern.test(out) && !pattern.test(err) && !pattern.test(logText())) {
        if (done) throw new Error(`trader exited before ${pattern}:\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
