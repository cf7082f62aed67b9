/**
 * The event bus (trading/events/): an audited change that is news is published in its own
 * transaction (rolled back with it, never for a refusal), a run's end is published, and a
 * tail gets every event once, in commit order, woken by NOTIFY where it can LISTEN. Both
 * backends; on Postgres also across connections and under concurrent writers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { AuditEntry } from '../../trading/audit/audit-entry.ts';
import { eventOfAudit, lastEventSeq, readEvents, type BusEvent } from '../../trading/events/bus-events.ts';
import { tailEvents } from '../../trading/events/tail-events.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoDb, runOptions } from '../helpers/pipeline.ts';

const scope = tradingScope('TEST');
const modeChange = (status: 'SUCCESS' | 'FAILURE' | 'REJECTED') => ({
  mode: 'TEST' as const,
  actor: 'USER' as const,
  action_type: 'MODE_CHANGE',
  status,
  details: { from: 'observe', to: 'semi_auto' },
});

describe.each(backends)('the event bus on %s', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb(kind);
  }, 300_000);
  afterAll(async () => db?.dispose());

  const since = async (after: number) => readEvents(db, after, ['TEST', 'LIVE', 'SYSTEM']);

  it('publishes an audited change in its transaction: rolled back with it, and never for a refused or declined one', async () => {
    const before = await lastEventSeq(db);
    await expect(
      tradingTx(db, scope, async (tx) => {
        await recordAudit(tx, modeChange('SUCCESS'));
        throw new Error('the change failed after its audit row');
      }),
    ).rejects.toThrow('the change failed');
    await tradingTx(db, scope, (tx) => recordAudit(tx, modeChange('FAILURE')));
    await tradingTx(db, scope, (tx) => recordAudit(tx, modeChange('REJECTED')));
    expect(await since(before)).toEqual([]);

    const auditSeq = await tradingTx(db, scope, (tx) => recordAudit(tx, modeChange('SUCCESS')));
    expect(await since(before)).toEqual([
      {
        seq: before + 1,
        ts: expect.any(Date),
        mode: 'TEST',
        event_type: 'OPERATIONAL_MODE_CHANGED',
        payload: { audit_seq: auditSeq, status: 'SUCCESS', entity_type: null, entity_id: null },
      },
    ]);
  });

  it("publishes a run's end and the proposals it made, and a tail started before them gets each once, in order", async () => {
    await db.query(`update trading_test.state set operational_mode = 'semi_auto'`);
    const after = await lastEventSeq(db);
    const got: BusEvent[] = [];
    const controller = new AbortController();
    // A long poll: on both backends this process's own commits wake the tail by NOTIFY.
    const tail = tailEvents(db, {
      after,
      modes: ['TEST', 'SYSTEM'],
      signal: controller.signal,
      pollMs: 60_000,
      onEvent: (e) => {
        got.push(e);
        if (e.event_type === 'RUN_FINISHED') controller.abort();
      },
    });
    const started = Date.now();
    const summary = await runPipeline(db, runOptions({ env: process.env }));
    await tail;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(got.map((e) => e.seq)).toEqual(got.map((_, i) => after + 1 + i));
    expect(got.at(-1)).toMatchObject({
      event_type: 'RUN_FINISHED',
      payload: { status: summary.status, entity_type: 'run', entity_id: summary.run_id },
    });
    const ready = got.filter((e) => e.event_type === 'TRADE_PROPOSAL_READY');
    expect(ready.length).toBe(summary.proposals.length);
    expect(ready.length).toBeGreaterThan(0);
    await db.query(`update trading_test.state set operational_mode = 'observe'`);
  }, 120_000);

  if (kind === 'postgres')
    it('delivers commits of other connections in commit order, even when they took their seq in another order', async () => {
      const other = await openPostgresDb(db.url!);
      const after = await lastEventSeq(db);
      const got: number[] = [];
      const controller = new AbortController();
      const tail = tailEvents(db, {
        after,
        modes: ['TEST'],
        signal: controller.signal,
        pollMs: 60_000,
        onEvent: (e) => {
          got.push(e.seq);
          if (got.length === 12) controller.abort();
        },
      });
      try {
        // Twelve writers on another connection pool; each holds its transaction open a while
        // after publishing, in a shuffled order, so they commit out of their start order.
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            tradingTx(other, scope, async (tx) => {
              await recordAudit(tx, modeChange('SUCCESS'));
              await new Promise((r) => setTimeout(r, ((i * 7) % 12) * 15));
            }),
          ),
        );
        await tail;
      } finally {
        controller.abort();
        await other.close();
      }
      expect(got).toEqual(Array.from({ length: 12 }, (_, i) => after + 1 + i));
    }, 60_000);
});

describe('which audit rows are events', () => {
  const row = (action_type: string, status: string) =>
    eventOfAudit(
      AuditEntry.parse({ mode: 'LIVE', actor: 'SYSTEM', action_type, status, entity_type: 'x', entity_id: '1' }),
      7,
    )?.event_type ?? null;

  it('types the news under the seed names, and leaves out what did not happen', () => {
    expect(row('EMERGENCY_HALT_TRIGGERED', 'CRITICAL')).toBe('EMERGENCY_HALT_TRIGGERED');
    expect(row('LEVERAGE_ENABLED', 'SUCCESS')).toBe('LEVERAGE_STATUS_CHANGED');
    expect(row('LEVERAGE_DISABLED', 'SUCCESS')).toBe('LEVERAGE_STATUS_CHANGED');
    expect(row('RISK_PROFILE_CHANGED', 'SUCCESS')).toBe('RISK_PROFILE_CHANGED');
    expect(row('TRADE_PROPOSAL_GENERATED', 'PENDING')).toBe('TRADE_PROPOSAL_READY');
    expect(row('TRADE_PROPOSAL_REVIEWED', 'APPROVED')).toBe('TRADE_PROPOSAL_RESOLVED');
    expect(row('TRADE_PROPOSAL_REVIEWED', 'REJECTED')).toBe('TRADE_PROPOSAL_RESOLVED');
    expect(row('STRATEGY_PROPOSAL_REVIEWED', 'APPROVED')).toBe('STRATEGY_ASSIGNED');
    expect(row('STRATEGY_PROPOSAL_REVIEWED', 'REJECTED')).toBeNull();
    expect(row('STRATEGY_PROPOSAL_REVIEWED', 'FAILURE')).toBeNull();
    expect(row('OPTIMIZATION_RUN', 'PENDING')).toBeNull();
    expect(row('OPTIMIZATION_RUN', 'SUCCESS')).toBe('OPTIMISATION_FINISHED');
    expect(row('OPTIMIZATION_RUN', 'FAILURE')).toBe('OPTIMISATION_FINISHED');
    expect(row('MODE_CHANGE', 'REJECTED')).toBeNull();
    expect(row('HTTP_AUTH_REFUSED', 'FAILURE')).toBeNull();
    expect(row('API_KEY_DECRYPTED', 'SUCCESS')).toBeNull();
  });
});
