import type { BacktestOptions } from '../../backtest/backtest-setup.ts';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot, sampleDataDir } from '../../core/paths.ts';
import { importCandleCsv } from '../../market/import-csv.ts';
import { registerModuleFile } from '../../orchestrator/registration.ts';
import type { RunOptions } from '../../engine/run/run-summary.ts';
import type { BackendKind, Db, Queryable } from '../../store/db.ts';
import { importMacroCsv } from '../../market/macro/import-macro-csv.ts';
import { seedDefaults } from '../../orchestrator/seed.ts';
import { freshDb, type TestDb } from './db.ts';
import { openTemplateCopy, sharedTemplate, templateFile } from './templates.ts';

/** Test modules (throwing, contract-breaking, blocking...) live in their own modules root. */
export const fixturesRoot = path.join(packageRoot, 'tests', 'fixtures', 'modules');
export const fixtureEnv: NodeJS.ProcessEnv = { ...process.env, TRADER_MODULES_ROOT: fixturesRoot };

export async function registerFixtures(db: Queryable, files: string[], env = fixtureEnv): Promise<void> {
  for (const f of files) await registerModuleFile(db, path.join(env.TRADER_MODULES_ROOT!, f), { activate: true, env });
}

/**
 * Activates modules whatever their gates found, as an operator forcing them in by SQL: how
 * the run loop's own isolation of a throwing or contract-breaking module is tested.
 */
export async function forceActive(db: Queryable, moduleIds: string[]): Promise<void> {
  await db.query('update module_registry set is_active = true where module_id = any($1)', [moduleIds]);
}

export interface SlotSpec {
  stage: string;
  module_id: string;
  position?: number;
  params?: Record<string, unknown>;
  run_when?: unknown;
  shadow?: boolean;
  on_error?: 'skip_module' | 'skip_symbol' | 'halt_run';
}

export async function addSlots(db: Queryable, slots: SlotSpec[], pipelineId = 'default'): Promise<void> {
  for (const [i, s] of slots.entries()) {
    await db.query(
      'insert into pipeline_config (pipeline_id, stage, position, module_id, params, run_when, shadow, on_error) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        pipelineId,
        s.stage,
        s.position ?? i,
        s.module_id,
        s.params ?? {},
        s.run_when ?? null,
        s.shadow ?? false,
        s.on_error ?? null,
      ],
    );
  }
}

export async function importSample(db: Db, base: 'BTC' | 'ETH'): Promise<void> {
  await importCandleCsv(db, {
    file: path.join(sampleDataDir, `binance_${base}-USDT_1h_2024.csv`),
    exchange: 'binance',
    symbol: `${base}/USDT`,
    timeframe: '1h',
  });
}

/** A database of `kind` set up by `fill` once per test run (under `key`); each caller gets a copy. */
async function templateDb(key: string, kind: BackendKind, fill: (db: Db) => Promise<void>): Promise<TestDb> {
  const ref = await sharedTemplate(`${key}-${kind}`, async () => {
    const db = await freshDb(kind);
    await fill(db);
    if (kind === 'postgres') {
      await db.close();
      return { database: new URL(db.url!).pathname.slice(1) };
    }
    await db.closeKeepingFiles!();
    const dataDir = templateFile(`${key}-pglite`);
    fs.renameSync(db.dataDir!, dataDir);
    return { dataDir };
  });
  return openTemplateCopy(ref);
}

/**
 * A fresh database of `kind` set up as the demo leaves it: seeded pack, BTC and ETH 2024
 * candles, macro history. Set up once per test run and backend; each caller gets a copy.
 */
export function demoDb(kind: BackendKind): Promise<TestDb> {
  return templateDb('demo-db', kind, async (db) => {
    await seedDefaults(db);
    await importSample(db, 'BTC');
    await importSample(db, 'ETH');
    await importMacroCsv(db, { file: path.join(sampleDataDir, 'macro', 'coingecko_dominance_daily_2023_2024.csv') });
  });
}

/**
 * A fresh database of `kind` with the seeded pack (`seedDefaults`) and nothing else, as a
 * fresh database seeded in the test would be: seeding runs every module's registration
 * gate, so it is done once per test run and backend, and each caller gets a copy.
 */
export function seededDb(kind: BackendKind): Promise<TestDb> {
  return templateDb('seeded-db', kind, async (db) => {
    await seedDefaults(db);
  });
}

/** As of the demo's timestamp: both sample symbols break out upwards on the default pipeline. */
export const demoAsOf = new Date('2024-03-05T02:00:00Z');

export function runOptions(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    symbols: ['BTC/USDT'],
    pipelineId: 'default',
    strategyId: null,
    exchange: 'binance',
    timeframe: '1h',
    asOf: demoAsOf,
    trigger: 'test',
    triggerRef: null,
    historyBars: 500,
    minBars: 100,
    offline: true,
    env: fixtureEnv,
    ...overrides,
  };
}

/** A backtest of the fixture modules on BTC/USDT 1h over `from`..`to`: 10 000 equity, 10 bps fee, 5 bps slippage, 5 bars of history. */
export function fixtureBacktestOptions(
  o: Pick<BacktestOptions, 'from' | 'to'> & Partial<BacktestOptions>,
): BacktestOptions {
  return {
    symbols: ['BTC/USDT'],
    exchange: 'binance',
    timeframe: '1h',
    pipelineId: 'default',
    strategyId: null,
    initialEquity: 10_000,
    feeBps: 10,
    slippageBps: 5,
    historyBars: 5,
    env: fixtureEnv,
    ...o,
  };
}

/** A private modules root inside the repo (so `zod` resolves), for tests that edit module files. */
export function tempModulesRoot(): string {
  const dir = path.join(
    packageRoot,
    'tests',
    '.tmp',
    `mods-${process.pid}-${Math.random().toString(36).slice(2)}`,
    'modules',
  );
  fs.mkdirSync(path.join(dir, 'agents'), { recursive: true });
  return dir;
}
