import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../core/paths.ts';
import { asOf, benchEnv } from './fixtures.ts';

/** `trader run` as a user types it, to exit. */
export const cliArgs = [
  'bin/trader.js',
  'run',
  '--symbols',
  'BTC/USDT',
  '--as-of',
  asOf.toISOString().replace('.000Z', 'Z'),
];
const timeBin = '/usr/bin/time';
export const haveTimeBin = fs.existsSync(timeBin);

/** The environment of a `trader` child on the bench database: the bench's modules, warn logs, no inherited flags. */
export function cliChildEnv(dbEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...benchEnv, ...dbEnv, TRADER_LOG_LEVEL: 'warn' };
  if (!dbEnv.DATABASE_URL) delete env.DATABASE_URL;
  delete env.NODE_OPTIONS; // a plain `node bin/trader.js`, not tsx's or the caller's flags
  return env;
}

export interface ColdStartResult {
  ms: number[];
  /** Peak RSS per run from /usr/bin/time -v, MB (empty when it is not installed). */
  rssMb: number[];
}

export function measureColdStart(dbEnv: NodeJS.ProcessEnv, reps: number, args: string[] = cliArgs): ColdStartResult {
  const env = cliChildEnv(dbEnv);
  const ms: number[] = [];
  const rssMb: number[] = [];
  for (let i = 0; i < reps; i++) {
    const [cmd, argv] = haveTimeBin ? [timeBin, ['-v', process.execPath, ...args]] : [process.execPath, args];
    const t0 = performance.now();
    const r = spawnSync(cmd, argv, { cwd: packageRoot, env, encoding: 'utf8' });
    ms.push(performance.now() - t0);
    if (r.status !== 0)
      throw new Error(`trader ${args.slice(1).join(' ')} exited ${r.status}: ${r.stderr.slice(-800)}`);
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    if (rss) rssMb.push(Number(rss[1]) / 1024);
  }
  return { ms, rssMb };
}

export interface ProbeResult {
  /** Distinct module URLs/paths seen (ESM hooks + require.cache). */
  modules: number;
  ccxtHits: string[];
  maxRssMb: number;
}

/** One extra, untimed run with bench/load-probe.mjs preloaded: which modules did it load? */
export function probeLoadedModules(dbEnv: NodeJS.ProcessEnv): ProbeResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-probe-'));
  try {
    const out = path.join(dir, 'loaded.txt');
    const probe = pathToFileURL(path.join(packageRoot, 'bench', 'load-probe.mjs')).href;
    const r = spawnSync(process.execPath, ['--import', probe, ...cliArgs], {
      cwd: packageRoot,
      env: { ...cliChildEnv(dbEnv), BENCH_PROBE_OUT: out },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`probed trader run exited ${r.status}: ${r.stderr.slice(-800)}`);
    const seen = new Set<string>();
    let maxRssMb = Number.NaN;
    for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
      if (line.startsWith('{')) {
        const exit = JSON.parse(line) as { cjs: string[]; maxRSS_kb: number };
        for (const f of exit.cjs) seen.add(pathToFileURL(f).href);
        maxRssMb = exit.maxRSS_kb / 1024;
      } else if (line) seen.add(line.split('?')[0]!);
    }
    return {
      modules: seen.size,
      ccxtHits: [...seen].filter((u) =>
        /\/node_modules\/ccxt\//.test(u),
      ) /* the package itself, not our lazy loader file */,
      maxRssMb,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the ccxt package is installed (the probe then shows it is still not loaded). */
export const ccxtInstalled = () => fs.existsSync(path.join(packageRoot, 'node_modules', 'ccxt'));
