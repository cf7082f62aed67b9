-- Macro series (total market cap, dominance and their raw inputs), one row per
-- (source, metric, timestamp). Each source keeps its own rows: CoinGecko and TradingView
-- measure different coin universes, so their levels must never be spliced silently.
-- Metrics are stored as the source carries them (e.g. TOTAL, BTC.MCAP, USDT.MCAP for the
-- CoinGecko CSV; BTC.D, USDT.D, TOTAL3 for the TradingView CSV); BTC.D, USDT.D and the
-- other derived values are computed in market/macro/derive.ts (see docs/macro.md).
-- `ts` is the time the value describes (00:00 UTC of the day for daily rows, the
-- provider's update time for snapshots); when it becomes visible to a run is decided in
-- code per source, never by `fetched_at`.
create table macro_series (
  source     text not null check (source ~ '^[a-z][a-z0-9_]*$'),
  metric     text not null check (metric ~ '^[A-Z0-9_]+(\.[A-Z0-9_]+)?$'),
  ts         timestamptz not null,
  value      double precision not null
             check (value not in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)),
  fetched_at timestamptz not null default now(),
  primary key (source, metric, ts)
);

-- "The newest values of metric X up to time T", whichever source wrote them.
create index macro_series_metric_ts on macro_series (metric, ts);
