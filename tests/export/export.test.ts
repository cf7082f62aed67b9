import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ExportJob, runExports } from '../../orchestrator/export/export.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { csvObjects, parseCsv } from '../helpers/csv.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * `trader export` (orchestrator/export/) on both backends: the tax fields of paper and
 * real trades with every stored digit, the time window, RFC 4180 quoting of awkward
 * text read back by a strict reader, JSON lines, the audit trail's hashes, a backtest's
 * trades in order, and EXPORT_RUN audited with the sha256 of what was written; a failed
 * export leaves no file under its name.
 */

const job = (over: Partial<ExportJob>): ExportJob => ({
  kind: 'trades',
  format: 'csv',
  modes: ['TEST', 'LIVE'],
  ...over,
});

async function addTrade(
  db: TestDb,
  schema: 'trading_test' | 'trading_live',
  t: {
    ts: string;
    side: string;
    kind: string;
    qty: string;
    price: string;
    fee: string;
    pnl: string;
    feeAsset?: string;
  },
): Promise<void> {
  const [p] = await db.query<{ id: number }>(
    `insert into ${schema}.positions (exchange, symbol, timeframe, category, side, qty, open_qty, entry_price, stop_price,
       margin, risk_amount, risk_pct, opened_at, checked_through, status, closed_at)
     values ('binance', 'BTC/USDT', '1h', 'major', 'long', $1, 0, $2, 1, 0, 0, 0, $3, $3, 'closed', $3) returning position_id as id`,
    [t.qty, t.price, t.ts],
  );
  await db.query(
    `insert into ${schema}.trades (position_id, ts, exchange, symbol, side, kind, qty, price, fee, fee_asset, cash_delta, realized_pnl)
     values ($1, $2, 'binance', 'BTC/USDT', $3, $4, $5, $6, $7, $8, 0, $9)`,
    [p!.id, t.ts, t.side, t.kind, t.qty, t.price, t.fee, t.feeAsset ?? 'USDT', t.pnl],
  );
}

const exportAudit = (db: TestDb) =>
  db.query<{ status: string; details: Record<string, unknown> }>(
    `select status, details from audit_trail where action_type = 'EXPORT_RUN' order by seq`,
  );

describe.each(backends)('exports on %s', (kind) => {
  let db: TestDb;
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-export-'));
  });
  afterEach(async () => {
    await db?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trades: the tax fields with every stored digit, paper and real told apart, ordered by time, windowed', async () => {
    db = await freshDb(kind);
    await addTrade(db, 'trading_test', {
      ts: '2026-01-02T10:00:00Z',
      side: 'buy',
      kind: 'entry',
      qty: '0.00012345',
      price: '43210.5',
      fee: '0.00533434',
      pnl: '0',
    });
    await addTrade(db, 'trading_live', {
      ts: '2026-01-03T11:30:00.250Z',
      side: 'sell',
      kind: 'take_profit',
      qty: '0.5',
      price: '45000.12345678',
      fee: '22.5',
      pnl: '1000.1',
    });
    await addTrade(db, 'trading_live', {
      ts: '2026-02-01T00:00:00Z',
      side: 'sell',
      kind: 'close',
      qty: '1',
      price: '100',
      fee: '0.001',
      pnl: '5',
      feeAsset: 'BNB',
    });
    const file = path.join(dir, 'trades.csv');
    const [done] = await runExports(db, [job({ file })], { actor: 'USER' });
    const text = fs.readFileSync(file, 'utf8');
    const rows = csvObjects(text);
    expect(rows.map((r) => [r.time_utc, r.mode, r.kind])).toEqual([
      ['2026-01-02T10:00:00.000Z', 'TEST', 'entry'],
      ['2026-01-03T11:30:00.250Z', 'LIVE', 'take_profit'],
      ['2026-02-01T00:00:00.000Z', 'LIVE', 'close'],
    ]);
    expect(rows[0]).toMatchObject({
      exchange: 'binance',
      market: 'BTC/USDT',
      base_asset: 'BTC',
      quote_asset: 'USDT',
      side: 'buy',
      quantity: '0.00012345',
      price: '43210.5',
      value_quote: '5.334336225',
      fee: '0.00533434',
      fee_asset: 'USDT',
      realized_pnl_quote: '0',
      net_pnl_quote: '-0.00533434',
      exchange_trade_id: '',
      run_id: '',
    });
    expect(rows[1]).toMatchObject({ price: '45000.12345678', value_quote: '22500.06172839', net_pnl_quote: '977.6' });
    // A fee paid in another asset is not taken off a quote-currency P&L.
    expect(rows[2]).toMatchObject({ fee_asset: 'BNB', realized_pnl_quote: '5', net_pnl_quote: '5' });
    expect(done).toMatchObject({ rows: 3, bytes: Buffer.byteLength(text), file });
    expect(done!.sha256).toBe(createHash('sha256').update(text).digest('hex'));

    const live = path.join(dir, 'live.csv');
    await runExports(
      db,
      [
        job({
          file: live,
          modes: ['LIVE'],
          from: new Date('2026-01-03T11:30:00.250Z'),
          to: new Date('2026-02-01T00:00:00Z'),
        }),
      ],
      { actor: 'USER' },
    );
    // From is inclusive to the millisecond, to is exclusive.
    expect(csvObjects(fs.readFileSync(live, 'utf8')).map((r) => r.kind)).toEqual(['take_profit']);

    const audits = await exportAudit(db);
    expect(audits.map((a) => a.status)).toEqual(['PENDING', 'SUCCESS', 'PENDING', 'SUCCESS']);
    expect(audits[1]!.details).toMatchObject({
      exported_files: [{ kind: 'trades', file, rows: 3, size_bytes: done!.bytes, sha256: done!.sha256 }],
    });
  });

  it('audit: awkward text survives CSV quoting and JSON lines, with the chain hashes as stored', async () => {
    db = await freshDb(kind);
    const awkward = 'a "quoted", comma\r\nsecond line; naïve 😀 =1+1';
    await recordAudit(db, {
      mode: 'TEST',
      actor: 'USER',
      action_type: 'HALT_SET',
      status: 'SUCCESS',
      details: { reason: awkward },
    });
    await recordAudit(db, { mode: 'SYSTEM', actor: 'SYSTEM', action_type: 'DB_CHECK', status: 'INFO', details: {} });
    const stored = await db.query<{ seq: number; details: string; hash: string; prev_hash: string }>(
      'select seq, details::text as details, hash, prev_hash from audit_trail order by seq',
    );
    const csvFile = path.join(dir, 'audit.csv');
    const jsonFile = path.join(dir, 'audit.jsonl');
    await runExports(
      db,
      [job({ kind: 'audit', file: csvFile }), job({ kind: 'audit', format: 'jsonl', file: jsonFile })],
      {
        actor: 'SYSTEM',
      },
    );
    // The snapshot holds the export's own PENDING row as well: the trail as it was when it began.
    const csv = csvObjects(fs.readFileSync(csvFile, 'utf8')).slice(0, 2);
    expect(csv.map((r) => [Number(r.seq), r.details, r.hash, r.prev_hash])).toEqual(
      stored.map((s) => [s.seq, s.details, s.hash, s.prev_hash]),
    );
    expect(JSON.parse(csv[0]!.details!)).toMatchObject({ reason: awkward });
    expect(csv[1]).toMatchObject({ risk_profile: '', entity_id: '' });

    const lines = fs
      .readFileSync(jsonFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ seq: stored[0]!.seq, action_type: 'HALT_SET', details: { reason: awkward } });
    expect(lines[1]).toMatchObject({ risk_profile: null, details: {}, hash: stored[1]!.hash });
    // One audit row for the call, naming both files.
    const audits = await exportAudit(db);
    expect(audits.map((a) => a.status)).toEqual(['PENDING', 'SUCCESS']);
    expect((audits[1]!.details.exported_files as unknown[]).length).toBe(2);
  });

  it("backtest: one stored backtest's trades in trade order; an unknown id refused before anything is audited", async () => {
    db = await freshDb(kind);
    const id = '6f1c1d4e-8a47-4d39-9d7b-0a0c4e3b2a10';
    await db.query(`insert into backtest_runs (backtest_id, request, report, duration_ms) values ($1, '{}', '{}', 1)`, [
      id,
    ]);
    for (const n of [2, 10, 1])
      await db.query(
        `insert into backtest_trades (backtest_id, trade_no, symbol, side, qty, decided_at, entry_ts, entry_price, stop,
           targets, initial_risk, planned_rr, exit_ts, exit_price, exit_reason, fees, pnl, r_multiple, bars_held, source_module, contributors)
         values ($1, $2, 'ETH/USDT', 'long', 1.5, '2024-03-01', '2024-03-01', 3000.25, 2900, '{3200,3400}', 150.375, 2,
           '2024-03-02', 3100, 'take_profit', 1.2, 99.5, 0.66, 24, 'breakout_v1', '[]')`,
        [id, n],
      );
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const [done] = await runExports(db, [job({ kind: 'backtest', backtestId: id })], { actor: 'USER', stream: out });
    const rows = parseCsv(Buffer.concat(chunks).toString('utf8'));
    expect(rows.slice(1).map((r) => r[0])).toEqual(['1', '2', '10']);
    expect(csvObjects(Buffer.concat(chunks).toString('utf8'))[0]).toMatchObject({
      quantity: '1.5',
      entry_price: '3000.25',
      targets: '3200 3400',
      exit_reason: 'take_profit',
      bars_held: '24',
    });
    expect(done).toMatchObject({ file: null, rows: 3 });

    const before = (await exportAudit(db)).length;
    await expect(
      runExports(db, [job({ kind: 'backtest', backtestId: '00000000-0000-4000-8000-000000000000' })], {
        actor: 'USER',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await exportAudit(db)).length).toBe(before);
  });

  it('a failed export leaves no file under its name and is audited as FAILURE', async () => {
    db = await freshDb(kind);
    const file = path.join(dir, 'trades.csv');
    // The partial file cannot be created: a folder is in its place.
    fs.mkdirSync(`${file}.partial`);
    await expect(runExports(db, [job({ file })], { actor: 'USER' })).rejects.toThrow();
    expect(fs.existsSync(file)).toBe(false);
    expect((await exportAudit(db)).map((a) => a.status)).toEqual(['PENDING', 'FAILURE']);
  });
});
