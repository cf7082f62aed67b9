import { z } from 'zod';
import { isTimeframe } from '../market/timeframes.ts';
import { MarketSymbol } from '../sdk/context-schemas.ts';
import { queryRows, type Queryable } from '../store/db.ts';

/**
 * The analysis' settings (table correlation_settings, one row), shown and changed as the
 * `correlation:` section of the system configuration file (`trader config export|apply`).
 * Off by default: the scheduled job then records each tick as skipped; `trader correlation
 * run` works either way.
 */

const SymbolList = z
  .array(MarketSymbol)
  .min(1)
  .refine((l) => new Set(l).size === l.length, 'lists a symbol twice');

export const CorrelationSettings = z.strictObject({
  enable_correlation_analysis: z.boolean(),
  lead_coins: SymbolList,
  /** null: the active markets of asset_config that are not lead coins. */
  altcoins: SymbolList.nullable(),
  exchange: z.string().min(1).max(40),
  timeframe: z.string().refine(isTimeframe, 'is not a timeframe like 1h'),
  /** A lead bar with |close / open - 1| above this (percent) is a significant move. */
  move_threshold_pct: z.number().gt(0).max(50),
  /** The delayed window: the altcoin's bar this many bars after the lead's. */
  delay_bars: z.number().int('must be a whole number').min(1).max(24),
});
export type CorrelationSettings = z.infer<typeof CorrelationSettings>;

const settingsColumns =
  'enable_correlation_analysis, lead_coins, altcoins, exchange, timeframe, move_threshold_pct, delay_bars';

export async function readCorrelationSettings(q: Queryable): Promise<CorrelationSettings> {
  const [row] = await queryRows(q, CorrelationSettings, `select ${settingsColumns} from correlation_settings`);
  return row!;
}

/** Writes the whole row (the caller audits it: the configuration file's apply does). */
export async function writeCorrelationSettings(q: Queryable, s: CorrelationSettings): Promise<void> {
  await q.query(
    `update correlation_settings set enable_correlation_analysis = $1, lead_coins = $2::text[], altcoins = $3::text[],
       exchange = $4, timeframe = $5, move_threshold_pct = $6, delay_bars = $7, updated_at = now() where id = 1`,
    [
      s.enable_correlation_analysis,
      s.lead_coins,
      s.altcoins,
      s.exchange,
      s.timeframe,
      s.move_threshold_pct,
      s.delay_bars,
    ],
  );
}

/** The altcoins to measure: the configured list, else the active markets that are not lead coins. */
export async function monitoredAltcoins(q: Queryable, s: Pick<CorrelationSettings, 'altcoins' | 'lead_coins'>) {
  if (s.altcoins) return s.altcoins;
  const rows = await q.query<{ symbol: string }>(
    'select symbol from asset_config where is_active and not (symbol = any($1::text[])) order by symbol',
    [s.lead_coins],
  );
  return rows.map((r) => r.symbol);
}
