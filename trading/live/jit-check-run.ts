import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { ProposedOrder } from '../proposals/proposals-repo.ts';
import type { GateVerdict } from '../risk-gate/gate.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { runGate } from '../engine/gate-check.ts';
import { type ExchangePort, isExchangeFault, type MarketInfo } from './exchange-port.ts';
import { JitLimits, judgeJit, type JitVerdict } from './jit-checks.ts';
import { marketHaltOf } from './reconcile/market-halt.ts';
import { OrderToFit } from './market-filters.ts';

/**
 * Gathers the facts of the just-in-time checks a moment before an order leaves (market
 * filters and fee, fresh price, live free balance, the clock offset, measured first if it
 * never was, the state as it is now) and judges them (jit-checks.ts). A refusal is audited
 * as JIT_CHECK_FAILURE or JIT_CHECK_INSUFFICIENT_FUNDS and returned for the caller to show.
 * `require_jit_checks: false` skips the balance query only: the gate then judges the
 * recorded free balance, and it is never skipped for an entry.
 */
export const JitRequest = z.object({
  symbol: z.string().min(1),
  order: OrderToFit.omit({ reference_price: true }),
  decision_price: z.number().positive(),
  /** The entry's intent, for the risk gate; null for a protective or closing order. */
  intent: ProposedOrder.nullable(),
  /** A user approved this proposal (Semi-Auto executes it). */
  approved: z.boolean().default(false),
  require_jit_checks: z.boolean().default(true),
  limits: JitLimits.default(JitLimits.parse({})),
});
export type JitRequest = z.input<typeof JitRequest>;

/** The risk gate, re-run on the state as it is now with the exchange's balance and fee (engine/gate-check.ts). */
async function gateVerdict(
  db: Db,
  scope: TradingScope,
  r: z.infer<typeof JitRequest>,
  market: MarketInfo,
  liveFree: number | null,
  now: Date,
): Promise<GateVerdict | null> {
  const intent = r.intent;
  if (!intent) return null;
  const { verdict } = await tradingTx(db, scope, (tx) =>
    runGate(tx, scope, intent, {
      asOf: now,
      approved: r.approved,
      live: {
        free_balance: liveFree,
        fee_rate: market.taker_fee,
        // The price may still move this far before the fill: the worst case the margin must cover.
        slippage_rate: r.limits.max_price_deviation_pct / 100,
      },
    }),
  );
  return verdict;
}

async function judge(db: Db, scope: TradingScope, port: ExchangePort, r: z.infer<typeof JitRequest>, now: Date) {
  try {
    const market = await port.market(r.symbol);
    if (port.clockOffsetMs() === null) await port.resyncClock();
    const fresh = await port.price(r.symbol);
    const spends = r.order.side === 'buy' ? market.quote : market.base;
    const free = r.require_jit_checks ? ((await port.balances())[spends]?.free ?? 0) : null;
    return judgeJit(
      {
        order: r.order,
        filters: market,
        decision_price: r.decision_price,
        fresh_price: fresh,
        free_balance: free,
        fee_rate: market.taker_fee,
        leverage: r.intent?.leverage ?? 1,
        gate: await gateVerdict(db, scope, r, market, r.order.side === 'buy' ? free : null, now),
        rate_limited_until: port.rateLimitedUntil(),
        now: now.getTime(),
        clock_offset_ms: port.clockOffsetMs(),
        market_halt:
          scope.mode === 'LIVE' ? await tradingTx(db, scope, (tx) => marketHaltOf(tx, port.exchange, r.symbol)) : null,
      },
      r.limits,
    );
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    const reason = `The ${r.order.side} order on ${r.symbol} was not sent: the checks could not be made (${e.message}).`;
    return {
      ok: false,
      failure: 'JIT_CHECK_FAILURE',
      checks: [{ check: 'exchange', ok: false, detail: e.message }],
      order: null,
      reason,
    } satisfies JitVerdict;
  }
}

export async function runJitChecks(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  request: JitRequest,
  now: Date = new Date(),
): Promise<JitVerdict> {
  const r = JitRequest.parse(request);
  const verdict = await judge(db, scope, port, r, now);
  if (verdict.failure)
    await tradingTx(db, scope, (tx) =>
      recordAudit(tx, {
        mode: scope.mode,
        actor: 'SYSTEM',
        action_type: verdict.failure!,
        status: 'FAILURE',
        details: {
          exchange: port.exchange,
          symbol: r.symbol,
          side: r.order.side,
          qty: r.order.qty,
          decision_price: r.decision_price,
          failed: verdict.checks.filter((c) => !c.ok),
          reason: verdict.reason,
        },
      }),
    );
  return verdict;
}
