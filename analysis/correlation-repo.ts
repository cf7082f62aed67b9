import { z } from 'zod';
import { queryRows, type Queryable } from '../store/db.ts';
import { CorrelationEvent } from './lead-moves.ts';

/**
 * The tables correlation_runs and correlation_results. Times cross the driver boundary as
 * ms numbers converted in SQL (as market/candles-repo.ts does), so both backends agree.
 */

const msToTs = (param: string) => `timestamptz 'epoch' + ${param}::float8 * interval '1 millisecond'`;
const tsToMs = (column: string) => `(extract(epoch from ${column}) * 1000)::int8`;

export const CorrelationRun = z.object({
  run_id: z.string().uuid(),
  started_at: z.date(),
  actor: z.enum(['USER', 'SYSTEM']),
  exchange: z.string(),
  timeframe: z.string(),
  window_from: z.number(),
  window_to: z.number(),
  lead_coins: z.array(z.string()),
  altcoins: z.array(z.string()),
  move_threshold_pct: z.number(),
  delay_bars: z.number().int(),
  lead_moves: z.number().int(),
  events: z.number().int(),
  missing_bars: z.number().int(),
});
export type CorrelationRun = z.infer<typeof CorrelationRun>;

/** Where a run's analysis stands: its market and window. */
export interface MarketWindow {
  exchange: string;
  timeframe: string;
}

/** Open time (ms) the newest run's window ended at, for this exchange and timeframe; null before the first run. */
export async function lastAnalysedTo(q: Queryable, m: MarketWindow): Promise<number | null> {
  const [row] = await q.query<{ ms: number | null }>(
    `select ${tsToMs('max(window_to)')} as ms from correlation_runs where exchange = $1 and timeframe = $2`,
    [m.exchange, m.timeframe],
  );
  return row?.ms ?? null;
}

const eventColumns = [
  'base_coin',
  'altcoin',
  'base_delta',
  'altcoin_delta',
  'efficiency_score',
  'delay_bars',
  'delayed_altcoin_delta',
  'delayed_efficiency_score',
  'altcoin_price',
  'altcoin_volume_24h',
] as const;

/**
 * Stores a run and its events; an event already stored (same market, time, lead and
 * altcoin) is overwritten and credited to this run, so re-analysing a period never
 * duplicates it. Call inside a transaction: the run and its events land together.
 */
export async function saveRun(tx: Queryable, run: CorrelationRun, events: readonly CorrelationEvent[]): Promise<void> {
  await tx.query(
    `insert into correlation_runs (run_id, started_at, actor, exchange, timeframe, window_from, window_to, lead_coins,
       altcoins, move_threshold_pct, delay_bars, lead_moves, events, missing_bars)
     values ($1, $2, $3, $4, $5, ${msToTs('$6')}, ${msToTs('$7')}, $8::text[], $9::text[], $10, $11, $12, $13, $14)`,
    [
      run.run_id,
      run.started_at,
      run.actor,
      run.exchange,
      run.timeframe,
      run.window_from,
      run.window_to,
      run.lead_coins,
      run.altcoins,
      run.move_threshold_pct,
      run.delay_bars,
      run.lead_moves,
      run.events,
      run.missing_bars,
    ],
  );
  // One statement per 1,000 events: arrays of columns, unnested.
  for (let start = 0; start < events.length; start += 1000) {
    const part = events.slice(start, start + 1000);
    const col = (c: (typeof eventColumns)[number]) => part.map((e) => e[c]);
    await tx.query(
      `insert into correlation_results (run_id, exchange, timeframe, timestamp, ${eventColumns.join(', ')})
       select $1, $2, $3, ${msToTs('t.ms')}, t.base_coin, t.altcoin, t.base_delta, t.altcoin_delta, t.efficiency_score,
              t.delay_bars, t.delayed_altcoin_delta, t.delayed_efficiency_score, t.altcoin_price, t.altcoin_volume_24h
       from unnest($4::float8[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::float8[], $10::int[],
                   $11::float8[], $12::float8[], $13::float8[], $14::float8[])
         as t(ms, base_coin, altcoin, base_delta, altcoin_delta, efficiency_score, delay_bars,
              delayed_altcoin_delta, delayed_efficiency_score, altcoin_price, altcoin_volume_24h)
       on conflict (exchange, timeframe, timestamp, base_coin, altcoin) do update set
         base_delta = excluded.base_delta, altcoin_delta = excluded.altcoin_delta,
         efficiency_score = excluded.efficiency_score, delay_bars = excluded.delay_bars,
         delayed_altcoin_delta = excluded.delayed_altcoin_delta,
         delayed_efficiency_score = excluded.delayed_efficiency_score, altcoin_price = excluded.altcoin_price,
         altcoin_volume_24h = excluded.altcoin_volume_24h, run_id = excluded.run_id`,
      [run.run_id, run.exchange, run.timeframe, part.map((e) => e.timestamp), ...eventColumns.map(col)],
    );
  }
}

export interface EventFilter extends MarketWindow {
  /** Only events of this lead coin. */
  base?: string;
}

/** The stored events of a market, oldest first. */
export async function loadEvents(q: Queryable, f: EventFilter): Promise<CorrelationEvent[]> {
  return queryRows(
    q,
    CorrelationEvent,
    `select ${tsToMs('timestamp')} as timestamp, ${eventColumns.join(', ')}
     from correlation_results
     where exchange = $1 and timeframe = $2 and ($3::text is null or base_coin = $3)
     order by timestamp, base_coin, altcoin`,
    [f.exchange, f.timeframe, f.base ?? null],
  );
}

/** The newest run of a market, for `correlation show` and the dashboard; null before the first. */
export async function latestRun(q: Queryable, m: MarketWindow): Promise<CorrelationRun | null> {
  const [row] = await queryRows(
    q,
    CorrelationRun,
    `select run_id, started_at, actor, exchange, timeframe, ${tsToMs('window_from')} as window_from,
            ${tsToMs('window_to')} as window_to, lead_coins, altcoins, move_threshold_pct, delay_bars, lead_moves,
            events, missing_bars
     from correlation_runs where exchange = $1 and timeframe = $2 order by finished_at desc, started_at desc limit 1`,
    [m.exchange, m.timeframe],
  );
  return row ?? null;
}
