import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../core/paths.ts';
import { upsertCandles } from '../market/candles-repo.ts';
import { parseCandleCsv } from '../market/csv-candles.ts';
import { ensureInstrument } from '../market/instruments-repo.ts';
import { registerModuleFile } from '../orchestrator/registration.ts';
import { defaultPipeline, defaultPipelineId, packFile } from '../registry/default-pack.ts';
import type { BackendKind, Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { openDb } from '../store/open.ts';
import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { adminUrl, databaseUrl } from '../tests/helpers/db.ts';
import { importCandleCsv } from '../market/import-csv.ts';
import { importMacroCsv } from '../market/macro/import-macro-csv.ts';
import { seedDefaults } from '../orchestrator/seed.ts';

/**
 * The bench's throwaway databases: a PGlite data directory in a temp TRADER_HOME (as the
 * CLI uses it) or a fresh Postgres database, migrated, seeded and filled with candles.
 */

export const exchange = 'binance';
export const timeframe = '1h';
export const asOf = new Date('2024-03-05T02:00:00Z');
/** Candles imported per synthetic symbol: 2024-01-01 .. 2024-06-30 (history needs 500 bars before as_of). */
const windowStart = Date.parse('2024-01-01T00:00:00Z');
const windowEnd = Date.parse('2024-07-01T00:00:00Z');

/**
 * The modules root the bench plans with: the package root, so the shipped modules/ and
 * the bench's sixth module (bench/modules/) are both inside it. Script paths are then
 * `<repo dir>/modules/...`; the files, hashes and code are the shipped ones.
 */
export const benchEnv: NodeJS.ProcessEnv = { ...process.env, TRADER_MODULES_ROOT: packageRoot };
export const sixPipelineId = 'bench6';
/** The operating state bench runs decide under: a fresh database's TEST account (Observe, Medium). */
export const benchRunState = { system_mode: 'TEST', operational_mode: 'observe', risk_profile: 'medium' } as const;
/** The account bench runs size with: a fresh 10,000 USDT paper account, no positions. */
export const benchAccount = { equity: 10_000, free_balance: 10_000, positions: { open: [], recent_closed: [] } };
/** The paper account's default costs (10 bps fee, 5 bps slippage), as the sizers see them. */
export const benchCosts = { fee_rate: 0.001, slippage_rate: 0.0005 };
export const sixModules = [...defaultPipeline.map((e) => e.module_id), 'breakout_wide_v1 (lookback 55)'];

export interface BenchDb {
  kind: BackendKind;
  db: Db;
  /** Environment that points the CLI at this database (TRADER_HOME or DATABASE_URL). */
  cliEnv: NodeJS.ProcessEnv;
  /** Closes the in-process connection (needed before the CLI opens a PGlite directory). */
  close(): Promise<void>;
  /** Reopens after close. */
  reopen(): Promise<void>;
  /** Removes the temp dir or drops the database. */
  dispose(): Promise<void>;
}

/**
 * A fresh Postgres database for the bench, dropped by dispose. Not the tests' helper: that one
 * queues the drop for vitest's global teardown, which a bench run does not have.
 */
async function benchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `trader_t_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const sql = postgres(adminUrl, { onnotice: () => {}, max: 1 });
    try {
      await sql.unsafe(statement);
    } finally {
      await sql.end();
    }
  };
  await admin(`create database ${name}`);
  return { url: databaseUrl(name), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

export async function openBenchDb(kind: BackendKind): Promise<BenchDb> {
  let env: NodeJS.ProcessEnv;
  let remove: () => Promise<void>;
  if (kind === 'pglite') {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-bench-'));
    env = { TRADER_HOME: home };
    remove = async () => fs.rmSync(home, { recursive: true, force: true });
  } else {
    const { url, drop } = await benchDatabase();
    env = { DATABASE_URL: url };
    remove = drop;
  }
  let db: Db | null = await openDb({ env, command: 'bench' });
  const b: BenchDb = {
    kind,
    get db() {
      if (!db) throw new Error('bench database is closed');
      return db;
    },
    cliEnv: env,
    async close() {
      await db?.close();
      db = null;
    },
    async reopen() {
      db ??= await openDb({ env, command: 'bench' });
    },
    async dispose() {
      await b.close().catch(() => {});
      await remove();
    },
  };
  return b;
}

/**
 * The bench's sixth module: breakout_v1's file under the id `breakout_wide_v1`, so one
 * pipeline can hold two agent slots (one row per module and stage). A module may import only
 * its own folder and the SDK, so the bench writes the copy (git-ignored) beside its own
 * folder rather than re-exporting the shipped file; the run function is the shipped code.
 */
function writeWideBreakout(): string {
  const shipped = fs.readFileSync(path.join(packageRoot, 'modules', 'agents', 'breakout_v1.ts'), 'utf8');
  const copy = shipped
    .replace("from '../../sdk/index.ts'", "from '../../../sdk/index.ts'")
    .replace("module_id: 'breakout_v1'", "module_id: 'breakout_wide_v1'");
  if (!copy.includes("'../../../sdk/index.ts'") || !copy.includes("'breakout_wide_v1'"))
    throw new Error('bench: breakout_v1.ts no longer has the SDK import or module_id the bench rewrites');
  const file = path.join(packageRoot, 'bench', 'modules', 'agents', 'breakout_wide_v1.ts');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, copy);
  return file;
}

/**
 * What `trader db seed` does (the 5 shipped modules as the default pipeline), with the
 * bench's modules root, plus pipeline `bench6`: the same 5 slots and a second agent slot.
 */
export async function migrateAndSeed(db: Db): Promise<void> {
  await migrate(db);
  await db.transaction(async (tx) => {
    const ids: string[] = [];
    for (const entry of defaultPipeline) {
      const row = await registerModuleFile(tx, path.join(packageRoot, 'modules', packFile(entry.module_id)), {
        activate: true,
        env: benchEnv,
      });
      ids.push(row.module_id);
      for (const pipeline of [defaultPipelineId, sixPipelineId]) {
        await tx.query(
          'insert into pipeline_config (pipeline_id, stage, position, module_id) values ($1, $2, $3, $4)',
          [pipeline, entry.stage, 10, row.module_id],
        );
      }
    }
    const extra = await registerModuleFile(tx, writeWideBreakout(), { activate: true, env: benchEnv });
    await tx.query(
      'insert into pipeline_config (pipeline_id, stage, position, module_id, params) values ($1, $2, $3, $4, $5)',
      [sixPipelineId, 'agent', 20, extra.module_id, { lookback: 55 }],
    );
  });
}

interface Source {
  label: string;
  file: string;
}

/** Real 1h series covering as_of: the shipped samples, plus ../shared/data/market when present. */
export function candleSources(): Source[] {
  const sources: Source[] = [
    { label: 'BTC/USDT (data/sample)', file: path.join(packageRoot, 'data/sample/binance_BTC-USDT_1h_2024.csv') },
    { label: 'ETH/USDT (data/sample)', file: path.join(packageRoot, 'data/sample/binance_ETH-USDT_1h_2024.csv') },
  ];
  const shared = path.resolve(packageRoot, '../shared/data/market');
  // BNB is left out: that file ends 2023-12-30, before as_of.
  for (const base of ['ADA', 'SOL', 'XRP']) {
    const file = path.join(shared, `binance_${base}-USDT_1h.csv`);
    if (fs.existsSync(file)) sources.push({ label: `${base}/USDT (../shared/data/market)`, file });
  }
  return sources;
}

export const syntheticSymbol = (i: number) => `B${String(i + 1).padStart(2, '0')}/USDT`;

/**
 * Imports the window of each real series under `count` synthetic names, cycling through
 * the sources (B01 = BTC, B02 = ETH, ...), plus BTC/USDT under its own name for the CLI.
 */
export async function importCandles(
  db: Db,
  count: number,
): Promise<{ symbols: string[]; sources: Source[]; barsPerSymbol: number }> {
  const sources = candleSources();
  const columns = sources.map((s) => {
    const all = parseCandleCsv(fs.readFileSync(s.file, 'utf8'), { timeframe, file: s.file });
    const from = all.ts.findIndex((t) => t >= windowStart);
    const to = all.ts.findIndex((t) => t >= windowEnd);
    const end = to === -1 ? all.ts.length : to;
    return {
      ts: all.ts.slice(from, end),
      open: all.open.slice(from, end),
      high: all.high.slice(from, end),
      low: all.low.slice(from, end),
      close: all.close.slice(from, end),
      volume: all.volume.slice(from, end),
    };
  });
  const symbols = Array.from({ length: count }, (_, i) => syntheticSymbol(i));
  const targets: [string, number][] = [
    ...symbols.map((s, i): [string, number] => [s, i % sources.length]),
    ['BTC/USDT', 0],
  ];
  for (const [symbol, src] of targets) {
    await db.transaction(async (tx) => {
      await ensureInstrument(tx, exchange, symbol);
      await upsertCandles(tx, { exchange, symbol, timeframe }, columns[src]!);
    });
  }
  return { symbols, sources, barsPerSymbol: columns[0]!.ts.length };
}

/** The shared 2017-2025 history (../shared/data), absent from a fresh clone. */
export const sharedDataDir = path.resolve(packageRoot, '../shared/data');

/**
 * A bench database holding the shared history of `symbols` (binance 1h) and the daily
 * dominance series, migrated and seeded: what the long benches (look-ahead over the years,
 * the optimiser) replay. Exits 2 with a sentence when ../shared/data is absent.
 */
export async function openSharedHistoryDb(symbols: readonly string[], label: string): Promise<BenchDb> {
  if (!fs.existsSync(path.join(sharedDataDir, 'market'))) {
    process.stderr.write(
      `${label}: ${sharedDataDir}/market is absent; this bench needs the shared 2017-2025 history\n`,
    );
    process.exit(2);
  }
  const b = await openBenchDb(process.env.DATABASE_URL ? 'postgres' : 'pglite');
  await migrate(b.db);
  await seedDefaults(b.db);
  for (const symbol of symbols)
    await importCandleCsv(b.db, {
      file: path.join(sharedDataDir, 'market', `binance_${symbol.replace('/', '-')}_1h.csv`),
      exchange: 'binance',
      symbol,
      timeframe: '1h',
    });
  await importMacroCsv(b.db, { file: path.join(sharedDataDir, 'macro', 'coingecko_dominance_daily.csv') });
  return b;
}
