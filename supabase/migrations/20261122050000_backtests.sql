-- Backtests: one row per replay with its request and report, the round-trip trades,
-- the equity curves, and the per-module performance ratings derived from them.
-- Backtests touch no trading state (TEST or LIVE); the tables are shared by both roles.

create table backtest_runs (
  backtest_id  uuid primary key,
  created_at   timestamptz not null default now(),
  request      jsonb not null,
  report       jsonb not null,
  duration_ms  integer not null check (duration_ms >= 0)
);
create index backtest_runs_created on backtest_runs (created_at desc);

create table backtest_trades (
  backtest_id    uuid not null references backtest_runs on delete cascade,
  trade_no       integer not null check (trade_no > 0),
  symbol         text not null,
  side           text not null check (side in ('long', 'short')),
  qty            float8 not null check (qty > 0),
  decided_at     timestamptz not null,
  entry_ts       timestamptz not null,
  entry_price    float8 not null check (entry_price > 0),
  stop           float8 not null check (stop > 0),
  targets        float8[] not null,
  initial_risk   float8 not null check (initial_risk >= 0),
  planned_rr     float8,
  exit_ts        timestamptz not null check (exit_ts >= entry_ts),
  exit_price     float8 not null check (exit_price > 0),
  exit_reason    text not null check (exit_reason in ('stop_loss', 'take_profit', 'exit_request', 'emergency_close', 'end_of_test')),
  fees           float8 not null check (fees >= 0),
  pnl            float8 not null,
  r_multiple     float8,
  bars_held      integer not null check (bars_held >= 0),
  source_module  text,
  contributors   jsonb not null,
  primary key (backtest_id, trade_no)
);

-- One curve per row (the account's under symbol '*', then one per market): a year of
-- hourly bars is 8,760 points, kept as two arrays rather than 8,760 rows.
create table backtest_equity (
  backtest_id  uuid not null references backtest_runs on delete cascade,
  symbol       text not null,
  ts           float8[] not null,
  equity       float8[] not null check (cardinality(equity) = cardinality(ts)),
  primary key (backtest_id, symbol)
);

-- The seed's Performance_Ratings: one row per module version and metric, with what it was measured on.
create table performance_ratings (
  rating_id         bigint generated always as identity primary key,
  ts                timestamptz not null default now(),
  module_id         text not null,
  module_version    text not null,
  metric_name       text not null,
  value             float8,
  context_snapshot  jsonb not null,
  backtest_id       uuid references backtest_runs on delete cascade
);
create index performance_ratings_module on performance_ratings (module_id, module_version, metric_name, ts desc);

grant select, insert, update, delete on backtest_runs, backtest_trades, backtest_equity, performance_ratings to trader_test, trader_live;
