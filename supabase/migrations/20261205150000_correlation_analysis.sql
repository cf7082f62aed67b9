-- The seed's optional correlation to lead coins (section 9, analysis/): when a lead coin
-- (BTC/USDT, ETH/USDT) moves more than a threshold in one bar, how far each monitored
-- altcoin moved in the same bar and in a slightly delayed one. Informational only: nothing
-- in trading reads these tables.

-- The analysis' settings: one row, shown and changed through the system configuration file
-- (`trader config export|apply`, section `correlation:`). Off by default, as the seed says.
create table correlation_settings (
  id                          smallint primary key default 1 check (id = 1),
  enable_correlation_analysis boolean not null default false,
  lead_coins                  text[] not null default '{BTC/USDT,ETH/USDT}' check (cardinality(lead_coins) > 0),
  -- null: the active markets of asset_config that are not lead coins.
  altcoins                    text[] check (altcoins is null or cardinality(altcoins) > 0),
  exchange                    text not null default 'binance' check (exchange <> ''),
  -- The window one move is measured over: one bar of this timeframe.
  timeframe                   text not null default '1h' check (timeframe <> ''),
  -- A lead coin's bar counts as a significant move when |close / open - 1| exceeds this, in percent.
  move_threshold_pct          double precision not null default 2 check (move_threshold_pct > 0 and move_threshold_pct <= 50),
  -- The delayed window: the altcoin's bar this many bars after the lead coin's.
  delay_bars                  integer not null default 1 check (delay_bars between 1 and 24),
  updated_at                  timestamptz not null default now()
);
insert into correlation_settings (id) values (1);

-- One row per analysis run that stored events (`trader correlation run`, the scheduled job).
create table correlation_runs (
  run_id              uuid primary key,
  started_at          timestamptz not null,
  finished_at         timestamptz not null default now(),
  actor               text not null check (actor in ('USER', 'SYSTEM')),
  exchange            text not null,
  timeframe           text not null,
  -- Lead bars with open times in [window_from, window_to) were analysed.
  window_from         timestamptz not null,
  window_to           timestamptz not null check (window_to > window_from),
  lead_coins          text[] not null,
  altcoins            text[] not null,
  move_threshold_pct  double precision not null,
  delay_bars          integer not null,
  lead_moves          integer not null check (lead_moves >= 0),
  events              integer not null check (events >= 0),
  -- (lead move, altcoin) pairs left out because the altcoin had no candle for the lead's bar.
  missing_bars        integer not null check (missing_bars >= 0)
);
create index correlation_runs_newest on correlation_runs (finished_at desc);

-- The seed's correlation_results, plus where the candles came from, the delayed window and
-- the run that found the event. Deltas are percent (2.5 = +2.5 %), measured close / open - 1
-- over one bar aligned by open time; efficiency = altcoin delta / base delta.
create table correlation_results (
  id                        bigint generated always as identity primary key,
  timestamp                 timestamptz not null,
  base_coin                 text not null,
  altcoin                   text not null,
  base_delta                double precision not null,
  altcoin_delta             double precision not null,
  efficiency_score          double precision,
  altcoin_price             double precision,
  -- Quote-currency volume of the altcoin over the 24 bars of 1h ending with the event's
  -- bar (sum of volume × close); null when any of those bars is missing or the timeframe is not 1h.
  altcoin_volume_24h        double precision,
  exchange                  text not null,
  timeframe                 text not null,
  delay_bars                integer not null check (delay_bars >= 1),
  -- The altcoin's move in the bar delay_bars later; null when that bar is not stored (yet).
  delayed_altcoin_delta     double precision,
  delayed_efficiency_score  double precision,
  run_id                    uuid not null references correlation_runs on delete cascade,
  -- Re-analysing a period updates its events instead of adding them twice.
  unique (exchange, timeframe, timestamp, base_coin, altcoin)
);
create index if not exists idx_correlation_results_time_base_alt on correlation_results (timestamp, base_coin, altcoin);
create index correlation_results_run on correlation_results (run_id);

grant select, insert, update, delete on correlation_settings, correlation_runs, correlation_results
  to trader_test, trader_live;

-- The scheduled job (`trader schedule add --job correlation`): like backup and export it
-- acts on stored data, not on a schedule's markets, so it needs no symbols.
alter table schedules drop constraint schedules_job_check;
alter table schedules add constraint schedules_job_check
  check (job in ('run', 'optimise', 'backup', 'export', 'correlation'));
alter table schedules drop constraint schedules_symbols_check;
alter table schedules add constraint schedules_symbols_check
  check (cardinality(symbols) > 0 or job in ('backup', 'export', 'correlation'));
