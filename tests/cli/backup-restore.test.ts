import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../store/open.ts';
import {
  cliBackends,
  demoAsOfIso,
  expectCleanError,
  freshTarget,
  ok,
  runTrader,
  type CliBackend,
  type CliResult,
  type Target,
} from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';
import { csvObjects } from '../helpers/csv.ts';
import { tableContents } from '../helpers/table-contents.ts';

/**
 * The restore drill through the real bin: the demo's scenario (runs, paper trades, a
 * proposal, a backtest, the audit trail) backed up from one backend and restored onto the
 * other, every table equal row for row, `audit verify` intact and `runs show` identical;
 * a wrong passphrase or a damaged file refused in one sentence with nothing written, and a
 * database that is not empty refused without --force.
 */

const passphrase = 'drill passphrase 2026';
const other = (kind: CliBackend): CliBackend => (kind === 'pglite' ? 'postgres' : 'pglite');

async function contents(t: Target): Promise<Record<string, string[]>> {
  const db = await openDb({ env: t.env, command: 'backup drill' });
  try {
    return await tableContents(db);
  } finally {
    await db.close();
  }
}

describe.each(cliBackends)('backup and restore from %s', (kind) => {
  let source: Target;
  let dir: string;
  let passFile: string;
  /** The backup of the scenario: made once, restored by the drill and refused (wrong passphrase, damaged copy) by the last test. */
  let made: CliResult;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-drill-'));
    passFile = path.join(dir, 'pass');
    fs.writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
    source = await demoTarget(kind);
    await ok(source, 'run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', demoAsOfIso, '--strategy', 'breakout');
    await ok(source, 'mode', 'set', 'semi_auto', '--yes');
    await ok(source, 'run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, '--strategy', 'breakout');
    await ok(source, 'mode', 'set', 'observe');
    await ok(
      source,
      'backtest',
      '--symbols',
      'BTC/USDT',
      '--from',
      '2024-03-01',
      '--to',
      '2024-03-20',
      '--strategy',
      'breakout',
    );
    made = await ok(source, 'backup', '--to', dir, '--passphrase-file', passFile, '--json');
  }, 300_000);
  afterAll(async () => {
    await source?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`restores onto ${other(kind)}: every table row for row, the audit chain intact, runs show identical`, async () => {
    const backup = JSON.parse(made.stdout) as { file: string; manifest_file: string; sha256: string; bytes: number };
    expect(fs.statSync(backup.file).size).toBe(backup.bytes);
    const sidecar = JSON.parse(fs.readFileSync(backup.manifest_file, 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ sha256: backup.sha256, source_backend: kind, kind: 'manifest' });
    const before = await contents(source);

    const target = await freshTarget(other(kind));
    try {
      const restored = await ok(target, 'restore', backup.file, '--passphrase-file', passFile);
      expect(restored.stdout).toMatch(/^restored \d+ rows from the backup of .* audit trail verified: \d+ rows\n?$/);
      const after = await contents(target);
      // The restore appends its own audit row, and the backup its SUCCESS row after the snapshot;
      // everything else is the source's, row for row (the chain's head: checked by audit verify).
      const restoredRow = after['public.audit_trail']!.filter((r) => r.includes('"BACKUP_RESTORED"'));
      expect(restoredRow).toHaveLength(1);
      const without = (rows: Record<string, string[]>, drop: (r: string) => boolean) => {
        const { 'public.audit_chain_head': _head, ...rest } = rows;
        return { ...rest, 'public.audit_trail': rows['public.audit_trail']!.filter((r) => !drop(r)) };
      };
      const sourceRows = without(before, (r) => r.includes('"BACKUP_RUN"') && r.includes('"status": "SUCCESS"'));
      const targetRows = without(after, (r) => r.includes('"BACKUP_RESTORED"'));
      expect(targetRows).toEqual(sourceRows);
      expect((await ok(target, 'audit', 'verify')).stdout).toMatch(/^audit trail intact/);
      const runs = JSON.parse((await ok(source, 'runs', 'list', '--json')).stdout) as { runs: { run_id: string }[] };
      for (const { run_id } of runs.runs.slice(0, 3))
        expect((await ok(target, 'runs', 'show', run_id)).stdout).toBe(
          (await ok(source, 'runs', 'show', run_id)).stdout,
        );

      // Not empty any more: a second restore is refused without --force, and changes nothing.
      expectCleanError(
        await runTrader(['restore', backup.file, '--passphrase-file', passFile], target.env),
        2,
        /is not empty \(\d+ audit_trail, \d+ pipeline_runs, \d+ candles, \d+ backtest_runs\); restore into an empty database, or replace everything in it with --force\.$/,
      );
    } finally {
      await target.dispose();
    }
  }, 300_000);

  it("exports the backtest's trades to stdout and the trail to a file, as the database holds them", async () => {
    const { backtests } = JSON.parse((await ok(source, 'backtest', 'list', '--json')).stdout) as {
      backtests: { backtest_id: string; trades: number }[];
    };
    const csv = await ok(source, 'export', 'backtest', backtests[0]!.backtest_id);
    const trades = csvObjects(csv.stdout);
    expect(trades).toHaveLength(backtests[0]!.trades);
    expect(trades.map((t) => Number(t.trade_no))).toEqual(trades.map((_, i) => i + 1));
    const out = path.join(dir, 'audit.jsonl');
    const done = JSON.parse(
      (await ok(source, 'export', 'audit', '--format', 'jsonl', '--out', out, '--json')).stdout,
    ) as {
      rows: number;
      sha256: string;
    };
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(done.rows);
    expect(createHash('sha256').update(fs.readFileSync(out)).digest('hex')).toBe(done.sha256);
    // The whole chain, link by link: each row's prev_hash is the hash before it.
    const chain = lines.map((l) => JSON.parse(l) as { seq: number; hash: string; prev_hash: string });
    expect(chain.map((r) => r.seq)).toEqual(chain.map((_, i) => i + 1));
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.prev_hash).toBe(chain[i - 1]!.hash);
  }, 120_000);

  it('refuses a wrong passphrase and a damaged file in one sentence, writing nothing', async () => {
    const backup = JSON.parse(made.stdout) as { file: string };
    const wrong = path.join(dir, 'wrong');
    fs.writeFileSync(wrong, 'not the passphrase\n');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-drill-home-'));
    const env = { ...source.env, TRADER_HOME: path.join(home, 'new'), DATABASE_URL: undefined };
    expectCleanError(
      await runTrader(['restore', backup.file, '--passphrase-file', wrong], env),
      2,
      /^trader: The passphrase does not open this backup; nothing was restored\.$/,
    );
    const bytes = fs.readFileSync(backup.file);
    bytes[bytes.length - 40]! ^= 0x01;
    const damaged = path.join(dir, 'damaged.trbk');
    fs.writeFileSync(damaged, bytes);
    expectCleanError(
      await runTrader(['restore', damaged, '--passphrase-file', passFile], env),
      5,
      /^trader: The backup file is damaged \(part \d+ does not match its seal\); nothing was restored\. Use another copy\.$/,
    );
    expect(fs.existsSync(path.join(home, 'new'))).toBe(false);
    fs.rmSync(home, { recursive: true, force: true });
  }, 120_000);
});
