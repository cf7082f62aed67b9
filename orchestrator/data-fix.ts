import { TraderError } from '../core/errors.ts';
import {
  deleteBadCandles,
  findBadCandles,
  type BadCandle,
  type CandleFilter,
  type DataCheckReport,
  type MarketCount,
} from '../market/data-check.ts';
import type { Db } from '../store/db.ts';
import { recordAudit } from '../trading/audit/audit-log.ts';

/** Removed rows kept in the audit row with their values, so what was removed can be read back. */
const auditedRows = 100;

export interface DataFixResult {
  /** What was found before anything was removed. */
  report: DataCheckReport;
  removed: number;
}

/**
 * `trader data check --fix`: shows what would go, asks `confirm` (outside any transaction,
 * so no row stays locked while a person reads), then deletes the bad rows and writes one
 * audit row (actor USER, mode SYSTEM: market data belongs to neither TEST nor LIVE) in
 * one transaction. A decline changes nothing. The rows can be imported or fetched again.
 */
export async function fixBadCandles(
  db: Db,
  filter: CandleFilter,
  confirm: (question: string) => Promise<boolean>,
): Promise<DataFixResult> {
  const report = await findBadCandles(db, filter);
  if (report.bad === 0) return { report, removed: 0 };
  const where = report.markets.map((m) => `${m.bad} of ${m.exchange} ${m.symbol} ${m.timeframe}`).join(', ');
  const question = `Remove ${report.bad} bad candle(s) (${where})? Import or fetch them again afterwards to fill the gaps.`;
  if (!(await confirm(question)))
    throw new TraderError('BAD_INPUT', 'You did not confirm the removal: no candle was removed.');
  const removed = await db.transaction(async (tx) => {
    const rows = await deleteBadCandles(tx, filter);
    await recordAudit(tx, {
      mode: 'SYSTEM',
      actor: 'USER',
      action_type: 'CANDLES_REMOVED',
      status: 'SUCCESS',
      details: {
        reason: 'bad or off-grid candles (trader data check --fix)',
        symbols: filter.symbols ?? null,
        removed: rows.length,
        markets: countByMarket(rows),
        rows: rows.slice(0, auditedRows),
      },
      entity_type: 'candles',
    });
    return rows.length;
  });
  return { report, removed };
}

function countByMarket(rows: readonly BadCandle[]): MarketCount[] {
  const counts = new Map<string, MarketCount>();
  for (const r of rows) {
    const key = `${r.exchange} ${r.symbol} ${r.timeframe}`;
    const m = counts.get(key) ?? { exchange: r.exchange, symbol: r.symbol, timeframe: r.timeframe, bad: 0 };
    m.bad++;
    counts.set(key, m);
  }
  return [...counts.values()];
}
