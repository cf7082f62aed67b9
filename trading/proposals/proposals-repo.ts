import { TraderError } from '../../core/errors.ts';
import { z } from 'zod';
import { queryRows, type Queryable } from '../../store/db.ts';
import { exitRuleFields } from '../exit-rules.ts';
import type { TradingScope } from '../scope.ts';

const num = z.coerce.number();

/** What approving a proposal would place: the pipeline's intent plus where it trades. */
export const ProposedOrder = z.object({
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  category: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: z.number().positive(),
  entry: z.number().positive(),
  stop: z.number().positive(),
  take_profits: z.array(z.object({ price: z.number().positive(), fraction: z.number().positive().max(1) })).min(1),
  leverage: z.number().min(1),
  risk_amount: z.number().nonnegative(),
  risk_pct: z.number().nonnegative(),
  notional: z.number().positive(),
  ...exitRuleFields,
});
export type ProposedOrder = z.infer<typeof ProposedOrder>;

export const ProposalStatus = z.enum(['pending', 'approved', 'rejected', 'expired', 'failed']);

export const Proposal = z.object({
  proposal_id: z.number().int(),
  created_at: z.date(),
  expires_at: z.date(),
  status: ProposalStatus,
  exchange: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: num,
  entry: num,
  stop: num,
  risk_pct: num,
  leverage: num,
  notional: num,
  drawdown_pct: num,
  intent: ProposedOrder,
  strategy_id: z.string().nullable(),
  strategy_version: z.number().int().nullable(),
  source_module: z.string().nullable(),
  run_id: z.string().nullable(),
  as_of: z.date(),
  decided_at: z.date().nullable(),
  decision_note: z.string().nullable(),
  position_id: z.number().int().nullable(),
});
export type Proposal = z.infer<typeof Proposal>;

export interface NewProposal {
  order: ProposedOrder;
  drawdown_pct: number;
  ttl_minutes: number;
  strategy_id: string | null;
  strategy_version: number | null;
  source_module: string | null;
  run_id: string | null;
  as_of: Date;
}

/**
 * Creates a pending proposal, unless one is already pending for the same market and side:
 * then nothing is written and that one is returned as `waiting`. The partial unique index
 * (migration 20261203100100) decides, so two concurrent runs cannot create twins: the
 * second insert waits for the first to commit and then finds its row. (Should that row be
 * decided in between, the insert is simply tried again.)
 */
export async function insertProposal(
  q: Queryable,
  scope: TradingScope,
  p: NewProposal,
): Promise<{ created: Proposal } | { waiting: Proposal }> {
  const o = p.order;
  for (let attempt = 0; attempt < 3; attempt++) {
    const [row] = await queryRows(
      q,
      Proposal,
      `insert into ${scope.table('proposals')} (expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, strategy_id, source_module, run_id, as_of, strategy_version)
       values (now() + make_interval(mins => $1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       on conflict (exchange, symbol, side) where status = 'pending' do nothing
       returning *`,
      [
        p.ttl_minutes,
        o.exchange,
        o.symbol,
        o.side,
        o.qty,
        o.entry,
        o.stop,
        o.risk_pct,
        o.leverage,
        o.notional,
        p.drawdown_pct,
        o,
        p.strategy_id,
        p.source_module,
        p.run_id,
        p.as_of,
        p.strategy_version,
      ],
    );
    if (row) return { created: row };
    const [waiting] = await queryRows(
      q,
      Proposal,
      `select * from ${scope.table('proposals')} where status = 'pending' and exchange = $1 and symbol = $2 and side = $3`,
      [o.exchange, o.symbol, o.side],
    );
    if (waiting) return { waiting };
  }
  throw new TraderError(
    'TRANSIENT',
    `The pending proposal for ${o.side} ${o.symbol} kept changing while a new one was being made; run again.`,
  );
}

/** `forUpdate` locks the row, so concurrent decisions on one proposal queue up and see each other's result. */
export async function getProposal(
  q: Queryable,
  scope: TradingScope,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<Proposal | undefined> {
  const [row] = await queryRows(
    q,
    Proposal,
    `select * from ${scope.table('proposals')} where proposal_id = $1${options.forUpdate ? ' for update' : ''}`,
    [id],
  );
  return row;
}

export async function listProposals(
  q: Queryable,
  scope: TradingScope,
  filter: { status?: z.infer<typeof ProposalStatus>; limit: number },
): Promise<Proposal[]> {
  return queryRows(
    q,
    Proposal,
    `select * from ${scope.table('proposals')} where ($1::text is null or status = $1) order by proposal_id desc limit $2`,
    [filter.status ?? null, filter.limit],
  );
}

/** Records the decision on a pending proposal (the caller holds its row lock). */
export async function decideProposal(
  q: Queryable,
  scope: TradingScope,
  id: number,
  status: 'approved' | 'rejected' | 'failed' | 'expired',
  note: string | null,
): Promise<Proposal> {
  const [row] = await queryRows(
    q,
    Proposal,
    `update ${scope.table('proposals')} set status = $2, decided_at = now(), decision_note = $3 where proposal_id = $1 returning *`,
    [id, status, note],
  );
  return row!;
}

export async function linkPosition(q: Queryable, scope: TradingScope, id: number, positionId: number): Promise<void> {
  await q.query(`update ${scope.table('proposals')} set position_id = $2 where proposal_id = $1`, [id, positionId]);
}

/** Expires every pending proposal past its time; returns the expired ids. */
export async function expireDueProposals(q: Queryable, scope: TradingScope): Promise<number[]> {
  const rows = await q.query<{ proposal_id: number }>(
    `update ${scope.table('proposals')} set status = 'expired', decided_at = now(), decision_note = 'not decided before it expired'
     where status = 'pending' and expires_at <= now() returning proposal_id`,
  );
  return rows.map((r) => Number(r.proposal_id));
}
