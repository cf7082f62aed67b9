-- Scale-out (issue 21): distributed runs decided by workers, each (pipeline, symbol, tick)
-- decided exactly once, and the workers' health.

-- A distributed run's row holds what its workers need: the request (options), what the run
-- did before deciding (prelude: the summary's trading and mode), and when it gives up on
-- symbols no worker decided (deadline_at). halt_requested: a module's halt_run policy
-- stopped the run, so symbols not yet started are not run.
alter table pipeline_runs
  add column distributed boolean not null default false,
  add column options jsonb,
  add column prelude jsonb,
  add column deadline_at timestamptz,
  add column halt_requested boolean not null default false;
-- A tick is decided once: a second distributed run of a pipeline at the same decision time is refused.
create unique index pipeline_runs_one_distributed_tick on pipeline_runs (pipeline_id, as_of) where distributed;

-- One row per symbol of a distributed run, written as the first statement of the transaction
-- that records the symbol's decision: a retried or duplicate job finds it and writes nothing.
create table run_decisions (
  run_id      uuid not null references pipeline_runs (run_id),
  symbol      text not null,
  pipeline_id text not null,
  tick        timestamptz not null,
  strategy_id text,
  status      text not null check (status in ('decided', 'error', 'not_run')),
  outcome     jsonb not null,
  errors      jsonb not null default '[]',
  halt_run    boolean not null default false,
  worker_id   text,
  attempt     integer,
  decided_at  timestamptz not null default now(),
  primary key (run_id, symbol),
  unique (pipeline_id, symbol, tick)
);

-- Each `trader worker` process: registered at start, a heartbeat every few seconds with the
-- jobs it holds, so `trader status`, the dashboard and the other workers see who is alive
-- (a dead worker's jobs are released to the others before their expiry).
create table queue_workers (
  worker_id    text primary key,
  host         text not null,
  pid          integer not null,
  mode         text not null check (mode in ('TEST', 'LIVE')),
  queues       text[] not null,
  concurrency  integer not null check (concurrency >= 1),
  version      text not null,
  started_at   timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  stopped_at   timestamptz,
  current_jobs jsonb not null default '[]',
  jobs_done    integer not null default 0,
  jobs_failed  integer not null default 0,
  last_error   text
);
create index queue_workers_heartbeat on queue_workers (heartbeat_at desc);

grant select, insert, update, delete on run_decisions, queue_workers to trader_test, trader_live;
