import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { seedDefaults } from '../../orchestrator/seed.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import type { Db } from '../../store/db.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { adminUrl, dropRoles, freshDb, type TestDb } from '../helpers/db.ts';
import { importSample, runOptions } from '../helpers/pipeline.ts';

/**
 * The absolute barrier on Postgres: a TEST process that connects as a login role which
 * is a member of trader_test only runs the whole pipeline, and cannot reach LIVE by any
 * SQL at all, not even by switching roles.
 */
describe('a TEST process connected as a TEST-only login role (postgres)', () => {
  let owner: TestDb;
  let asTest: Db;
  const login = `trader_t_login_${randomBytes(4).toString('hex')}`;
  const admin = () => postgres(adminUrl, { onnotice: () => {}, max: 1 });

  beforeEach(async () => {
    owner = await freshDb('postgres');
    const a = admin();
    await a.unsafe(`create role ${login} login in role trader_test`);
    await a.end();
    const url = new URL(owner.url!);
    url.username = login;
    asTest = await openPostgresDb(url.toString());
  });
  afterEach(async () => {
    await asTest.close();
    await owner.dispose();
    await dropRoles([login]);
  });

  it('runs the pipeline and trades on paper, yet cannot touch LIVE even by switching roles', async () => {
    await seedDefaults(owner);
    await importSample(owner, 'BTC');
    await owner.query("update trading_test.state set operational_mode = 'full_auto'");
    const summary = await runPipeline(asTest, runOptions({ env: process.env }));
    expect(summary.symbols[0]!.actions?.[0]?.action).toBe('executed');

    await expect(asTest.query('set role trader_live')).rejects.toThrow(/permission denied/);
    await expect(tradingTx(asTest, tradingScope('LIVE'), (tx) => tx.query('select 1'))).rejects.toThrow(
      /permission denied/,
    );
    await expect(asTest.query("update trading_live.state set operational_mode = 'full_auto'")).rejects.toThrow(
      /permission denied/,
    );
    await expect(
      asTest.query(
        "insert into audit_trail (mode, actor, action_type, status) values ('LIVE', 'SYSTEM', 'FORGED', 'INFO')",
      ),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asTest.query("select audit_append('LIVE', 'USER', 'FORGED', 'INFO', null, '{}', null, null)"),
    ).rejects.toThrow(/may not append LIVE audit rows/);
    await expect(asTest.query('select * from api_keys')).rejects.toThrow(/permission denied/);
    await expect(asTest.query('select * from trading_live.orders')).rejects.toThrow(/permission denied/);
    await expect(
      asTest.query(
        "insert into trading_live.orders (client_order_id, exchange, symbol, side, type, role, qty) values ('t', 'binance', 'BTC/USDT', 'buy', 'market', 'entry', 1)",
      ),
    ).rejects.toThrow(/permission denied/);
    const [live] = await owner.query<{ operational_mode: string }>('select operational_mode from trading_live.state');
    expect(live!.operational_mode).toBe('observe');
  });
});
