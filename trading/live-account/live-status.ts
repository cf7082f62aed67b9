import { z } from 'zod';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { tradingScope, tradingTx } from '../scope.ts';
import {
  haltedMarkets,
  loadDust,
  loadMarketRows,
  openDifferences,
  wholeExchange,
} from '../live/reconcile/reconcile-repo.ts';
import { approvedPipelines } from './first-order.ts';
import { keyFilePath, readKeyFile } from './key-file.ts';
import { entryNotionalOfDay, loadLiveAccount } from './live-account-repo.ts';

/** The LIVE account as `trader status` shows it in LIVE: whether it exists, its caps and today's use, the key file. */
export const LiveStatus = z.object({
  initialised: z.boolean(),
  exchange: z.string().nullable(),
  sandbox: z.boolean().nullable(),
  max_order_notional: z.number().nullable(),
  max_daily_notional: z.number().nullable(),
  used_today: z.number(),
  /** Pipelines whose first LIVE order was approved (the others wait for approval even in full_auto). */
  approved_pipelines: z.array(z.string()),
  key_file: z.object({
    path: z.string(),
    state: z.enum(['ready', 'missing', 'permissions', 'malformed']),
  }),
  last_unlock: z.object({ at: z.date(), via: z.string() }).nullable(),
  /** Orders the just-in-time checks refused since 00:00 UTC, and the newest refusal ever (audited JIT_CHECK_*). */
  jit_refusals: z.object({
    today: z.number().int(),
    last: z
      .object({ at: z.date(), action_type: z.string(), symbol: z.string().nullable(), reason: z.string().nullable() })
      .nullable(),
  }),
  /** Reconciliation with the exchange (trading/live/reconcile/). */
  reconciliation: z.object({
    last_checked_at: z.date().nullable(),
    /** Unexplained differences not accepted yet: LIVE stays halted while there is one. */
    open_differences: z.array(z.string()),
    /** Markets ('*': the whole exchange) halted because the exchange kept failing. */
    halted_markets: z.array(
      z.object({ exchange: z.string(), symbol: z.string(), since: z.date(), error: z.string().nullable() }),
    ),
    dust: z.array(z.object({ exchange: z.string(), asset: z.string(), qty: z.number() })),
  }),
});
export type LiveStatus = z.infer<typeof LiveStatus>;

const LastUnlock = z.object({ ts: z.date(), via: z.string() });
const JitRefusal = z.object({
  at: z.date(),
  action_type: z.string(),
  symbol: z.string().nullable(),
  reason: z.string().nullable(),
  today: z.coerce.number().int(),
});

/** The newest JIT refusal, with the count of those since 00:00 UTC of `now`, in one query. */
async function jitRefusals(tx: Queryable, now: Date): Promise<LiveStatus['jit_refusals']> {
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [row] = await queryRows(
    tx,
    JitRefusal,
    `select ts as at, action_type, details->>'symbol' as symbol, details->>'reason' as reason,
            count(*) filter (where ts >= $1) over () as today
       from audit_trail where mode = 'LIVE' and action_type like 'JIT_CHECK_%' order by seq desc limit 1`,
    [dayStart],
  );
  return row
    ? { today: row.today, last: { at: row.at, action_type: row.action_type, symbol: row.symbol, reason: row.reason } }
    : { today: 0, last: null };
}

export function loadLiveStatus(db: Db, o: { now: Date; env?: NodeJS.ProcessEnv }): Promise<LiveStatus> {
  const file = keyFilePath(o.env);
  const read = readKeyFile(file);
  return tradingTx(db, tradingScope('LIVE'), async (tx) => {
    const account = await loadLiveAccount(tx);
    const [unlock] = await queryRows(
      tx,
      LastUnlock,
      `select ts, details->>'via' as via from audit_trail
        where action_type = 'LIVE_KEYS_UNLOCKED' and status = 'SUCCESS' order by seq desc limit 1`,
    );
    return {
      initialised: account !== undefined,
      exchange: account?.exchange ?? null,
      sandbox: account?.sandbox ?? null,
      max_order_notional: account?.max_order_notional ?? null,
      max_daily_notional: account?.max_daily_notional ?? null,
      used_today: await entryNotionalOfDay(tx, o.now),
      approved_pipelines: await approvedPipelines(tx),
      key_file: { path: file, state: read.ok ? 'ready' : read.reason },
      last_unlock: unlock ? { at: unlock.ts, via: unlock.via } : null,
      jit_refusals: await jitRefusals(tx, o.now),
      reconciliation: {
        last_checked_at:
          (await loadMarketRows(tx)).find((m) => m.symbol === wholeExchange && m.failures === 0)?.last_checked_at ??
          null,
        open_differences: (await openDifferences(tx)).map((d) => d.detail),
        halted_markets: (await haltedMarkets(tx)).map((m) => ({
          exchange: m.exchange,
          symbol: m.symbol,
          since: m.halted_at!,
          error: m.last_error,
        })),
        dust: await loadDust(tx),
      },
    };
  });
}

function describeReconciliation(r: LiveStatus['reconciliation']): string {
  const checked = r.last_checked_at ? `last reconciled ${r.last_checked_at.toISOString()}` : 'never reconciled';
  const dust = r.dust.length ? `; dust ${r.dust.map((d) => `${d.qty} ${d.asset}`).join(', ')}` : '';
  return `${checked}; ${r.open_differences.length} unexplained difference(s) open${dust}`;
}

/** Loud lines for `trader status`: unexplained differences and markets halted because the exchange kept failing. */
export function reconciliationAlarms(s: LiveStatus): string[] {
  const lines: string[] = [];
  if (s.reconciliation.open_differences.length > 0)
    lines.push(
      `!!! LIVE HALTED BY RECONCILIATION: ${s.reconciliation.open_differences.length} UNEXPLAINED DIFFERENCE(S) WITH THE EXCHANGE !!!`,
      ...s.reconciliation.open_differences.slice(0, 5).map((d) => `    ${d}`),
      '    review with `trader reconcile`, resolve with `trader reconcile --accept` (master PIN)',
    );
  for (const m of s.reconciliation.halted_markets)
    lines.push(
      `!!! LIVE MARKET HALTED: ${m.symbol === wholeExchange ? `all of ${m.exchange}` : `${m.exchange} ${m.symbol}`} (the exchange kept failing since ${m.since.toISOString()}) !!!`,
      `    ${m.error ?? 'no error recorded'}; trading there resumes once reconciliation reads it again`,
    );
  return lines;
}

function describeJitRefusals({ today, last }: LiveStatus['jit_refusals']): string {
  if (!last) return 'no order refused yet';
  return `${today} order(s) refused today (UTC); last ${last.at.toISOString()}${last.symbol ? ` ${last.symbol}` : ''} ${last.action_type}: ${last.reason ?? 'no reason recorded'}`;
}

/** Five lines at most: the account, its caps and today's use, the key file and last unlock, JIT refusals, reconciliation. */
export function describeLiveStatus(s: LiveStatus): string[] {
  if (!s.initialised) return ['live account       none: LIVE cannot trade; run `trader live init`'];
  const unlock = s.last_unlock
    ? `last unlocked ${s.last_unlock.at.toISOString()} (${s.last_unlock.via})`
    : 'never unlocked';
  return [
    `live account       ${s.exchange}${s.sandbox ? ' (testnet)' : ''}; first order approved for: ${s.approved_pipelines.join(', ') || 'no pipeline yet'}`,
    `live caps          ${s.max_order_notional} per order; ${s.used_today.toFixed(2)} of ${s.max_daily_notional} used today (UTC)`,
    `live key file      ${s.key_file.state} at ${s.key_file.path}; ${unlock}`,
    `just-in-time       ${describeJitRefusals(s.jit_refusals)}`,
    `reconciliation     ${describeReconciliation(s.reconciliation)}`,
  ];
}
