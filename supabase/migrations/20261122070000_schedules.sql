-- The built-in scheduler (`trader schedule ...`, orchestrator/schedule/): cron schedules
-- of pipeline runs, and one row per tick that was run, skipped or found crashed.

create table schedules (
  schedule_id    bigint generated always as identity primary key,
  name           text unique check (name ~ '^[A-Za-z][A-Za-z0-9_.-]{0,63}$'),
  cron           text not null check (cron <> ''),
  timezone       text not null default 'UTC',
  -- A schedule runs only under the system mode it was added in: a LIVE scheduler never
  -- picks up a schedule that was set up for paper trading, nor the other way round.
  system_mode    text not null check (system_mode in ('TEST', 'LIVE')),
  pipeline_id    text not null default 'default',
  strategy_id    text,
  symbols        text[] not null check (cardinality(symbols) > 0),
  exchange       text not null default 'binance',
  timeframe      text not null default '1h',
  history_bars   integer not null default 500 check (history_bars > 0),
  offline        boolean not null default false,
  -- A tick found late by more than this (the scheduler was down or busy) is skipped, not run.
  grace_seconds  integer not null default 600 check (grace_seconds >= 0),
  created_at     timestamptz not null default now()
);

-- The tick lock is the tick's own row, inserted before its run starts: the primary key
-- makes each tick run at most once (a second scheduler on the same tick gets a unique
-- violation and skips it), and the partial unique index lets one tick per schedule run
-- at a time, so runs of one schedule never overlap. Rows, not advisory locks: they hold
-- on PGlite and through Supabase's transaction pooler.
create table schedule_ticks (
  schedule_id   bigint not null references schedules on delete cascade,
  tick          timestamptz not null,
  status        text not null check (status in ('running', 'succeeded', 'partial', 'failed', 'halted', 'error', 'skipped', 'crashed')),
  run_id        uuid references pipeline_runs (run_id),
  -- A 'skipped' row stands for `missed` ticks, the oldest at first_missed, the newest at tick.
  missed        integer not null default 0 check (missed >= 0),
  first_missed  timestamptz,
  error         text,
  pid           integer,
  host          text,
  claimed_at    timestamptz not null default now(),
  finished_at   timestamptz,
  primary key (schedule_id, tick)
);
create unique index schedule_ticks_one_running on schedule_ticks (schedule_id) where status = 'running';

grant select, insert, update, delete on schedules, schedule_ticks to trader_test, trader_live;
