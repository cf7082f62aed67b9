import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import { paperCosts } from '../../trading/paper/paper-costs.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { paperOrder } from '../helpers/paper-order.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { rejection } from '../helpers/errors.ts';

const scope = tradingScope('TEST');

describe.each(backends)('paper costs on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(async () => db.dispose());

  it('shows the defaults, changes them for the next fill, audits the change; bad values change nothing', async () => {
    expect(await paperCosts(db, scope, {})).toEqual({ paper_fee_bps: 10, paper_slippage_bps: 5 });
    expect(await paperCosts(db, scope, { paper_fee_bps: 7.5, paper_slippage_bps: 0 })).toEqual({
      paper_fee_bps: 7.5,
      paper_slippage_bps: 0,
    });
    const opened = await tradingTx(db, scope, (tx) =>
      paperBroker(scope).open(
        tx,
        paperOrder({ qty: 0.1, entry: 50_000, stop: 49_000, as_of: new Date('2024-03-05T02:00:00Z') }),
      ),
    );
    // No slippage: fills at 50,000; fee 7.5 bps of 5,000 = 3.75.
    expect(opened).toMatchObject({ ok: true, fill_price: 50_000, fee: 3.75 });
    const [audit] = await db.query<{ details: unknown }>(
      "select details from audit_trail where action_type = 'PAPER_COSTS_CHANGED'",
    );
    expect(audit!.details).toEqual({
      old: { paper_fee_bps: 10, paper_slippage_bps: 5 },
      new: { paper_fee_bps: 7.5, paper_slippage_bps: 0 },
    });

    const e = await rejection(paperCosts(db, scope, { paper_fee_bps: 101 }));
    expect([e.code, e.message]).toEqual(['BAD_INPUT', 'Paper costs out of bounds: paper_fee_bps must be at most 100.']);
    expect(await paperCosts(db, scope, {})).toEqual({ paper_fee_bps: 7.5, paper_slippage_bps: 0 });
    expect((await rejection(paperCosts(db, tradingScope('LIVE'), {}))).code).toBe('CONFIG_INVALID');
  });
});
