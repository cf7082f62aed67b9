import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { Db } from '../../store/db.ts';
import { openDb } from '../../store/open.ts';
import { migratedTarget, type Target } from '../helpers/cli.ts';
import { startSim } from './live-fixtures.ts';

/**
 * Runs a child script (under tsx) until it reports `stopAt` on a line of stdout, then
 * SIGKILLs it: no timing, the step is its own signal. The child stops dead at that step and
 * waits to be killed (tests/fixtures/scripts/*-child.ts).
 */
export async function killChildAt(script: string, args: string[], env: NodeJS.ProcessEnv, stopAt: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args, stopAt], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const closed = new Promise<number | null>((resolve) => proc.once('close', resolve));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.split('\n').includes(stopAt)) resolve();
    });
    proc.once('close', () => reject(new Error(`the child ended before ${stopAt}: ${out} ${err}`)));
  });
  proc.kill('SIGKILL');
  expect(await closed).toBeNull();
}

/**
 * The set-up of a kill -9 suite: a migrated database target (a copy of the run's migrated
 * template, plus `setupSql`) made once, and
 * for each test a clone of it and a fresh simulator; `db` is what the test reopened, closed
 * after it. Read the fields inside tests (they change per test).
 */
export function killSuite(kind: Target['kind'], setupSql = '') {
  const s = {} as { t: Target; sim: BinanceSimulator; db: Db | undefined };
  let template: Target;
  beforeAll(async () => {
    template = await migratedTarget(kind);
    if (setupSql) {
      const setup = await openDb({ env: template.env });
      await setup.exec(setupSql);
      await setup.close();
    }
  }, 60_000);
  afterAll(async () => template?.dispose());
  beforeEach(async () => {
    s.t = await template.clone();
    ({ sim: s.sim } = await startSim());
  }, 60_000);
  afterEach(async () => {
    await s.db?.close();
    s.db = undefined;
    await s.sim.close();
    await s.t.dispose();
  });
  return s;
}
