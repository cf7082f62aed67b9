-- Core schema: module registry, pipeline configuration, run logs, market data.
-- Applied by `trader db migrate` (or `supabase db push`); never edit after it is applied:
-- add a new timestamped file instead.

create or replace function trader_touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- Every executable logic block. `sha256` pins the file's content: NULL means "pin on
-- first load". `params` holds the defaults the manifest declares.
create table module_registry (
  module_id     text primary key check (module_id ~ '^[a-z][a-z0-9_]*$'),
  logic_type    text not null check (logic_type in ('context', 'filter', 'agent', 'confluence', 'risk', 'execution')),
  version       text not null check (version ~ '^\d+\.\d+\.\d+$'),
  description   text,
  script_path   text not null,
  function_name text not null default 'run',
  is_active     boolean not null default false,
  input_keys    text[] not null default '{}',
  output_keys   text[] not null default '{}',
  tags          jsonb not null default '{}'::jsonb,
  sha256        text check (sha256 ~ '^[0-9a-f]{64}$'),
  params        jsonb not null default '{}'::jsonb,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create trigger module_registry_touch before update on module_registry
  for each row execute function trader_touch_updated_at();

-- The default stage plan of a pipeline: one row per module slot. Stages run in the
-- fixed order context, filter, agent, confluence, risk, execution; `position` orders
-- modules within a stage.
create table pipeline_config (
  pipeline_id text not null default 'default',
  stage       text not null check (stage in ('context', 'filter', 'agent', 'confluence', 'risk', 'execution')),
  position    integer not null default 0,
  module_id   text not null references module_registry (module_id),
  params      jsonb not null default '{}'::jsonb,
  run_when    jsonb,
  shadow      boolean not null default false,
  on_error    text check (on_error in ('skip_module', 'skip_symbol', 'halt_run')),
  is_enabled  boolean not null default true,
  primary key (pipeline_id, stage, module_id)
);

-- A strategy replaces the module list of every stage it names; stages it does not
-- name keep the pipeline's rows.
create table strategy_config (
  strategy_id text not null check (strategy_id ~ '^[a-z][a-z0-9_]*$'),
  pipeline_id text not null default 'default',
  description text,
  stage       text not null check (stage in ('context', 'filter', 'agent', 'confluence', 'risk', 'execution')),
  position    integer not null default 0,
  module_id   text not null references module_registry (module_id),
  params      jsonb not null default '{}'::jsonb,
  run_when    jsonb,
  shadow      boolean not null default false,
  on_error    text check (on_error in ('skip_module', 'skip_symbol', 'halt_run')),
  is_enabled  boolean not null default true,
  primary key (strategy_id, stage, module_id)
);

-- Per-asset settings: category, the strategy a symbol uses by default, per-module
-- parameter overrides and modules switched off for this asset.
create table asset_config (
  symbol           text primary key,
  category         text not null default 'major',
  strategy_id      text,
  module_params    jsonb not null default '{}'::jsonb,
  disabled_modules text[] not null default '{}',
  is_active        boolean not null default true,
  updated_at       timestamptz not null default now()
);
create trigger asset_config_touch before update on asset_config
  for each row execute function trader_touch_updated_at();

-- Risk rules. Rows scoped to a module_id are merged into that module's params as the
-- last layer, so risk settings win; `profile` limits a rule to one risk profile.
create table risk_config (
  rule_id     text primary key,
  description text,
  module_id   text references module_registry (module_id),
  profile     text check (profile in ('low', 'medium', 'high')),
  params      jsonb not null default '{}'::jsonb,
  priority    integer not null default 0,
  is_active   boolean not null default true,
  updated_at  timestamptz not null default now()
);

create table pipeline_runs (
  run_id       uuid primary key,
  pipeline_id  text not null,
  strategy_id  text,
  status       text not null check (status in ('running', 'succeeded', 'partial', 'failed', 'halted', 'crashed')),
  trigger      text not null default 'cli',
  trigger_ref  text,
  exchange     text not null,
  timeframe    text not null,
  symbols      text[] not null,
  as_of        timestamptz not null,
  pid          integer,
  host         text,
  started_at   timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  finished_at  timestamptz,
  summary      jsonb,
  error        text
);
-- The run lock: at most one running run per pipeline. A row, not an advisory lock, so
-- it holds on PGlite and through Supabase's transaction pooler.
create unique index pipeline_runs_one_running on pipeline_runs (pipeline_id) where status = 'running';
create index pipeline_runs_started on pipeline_runs (started_at desc);

create table pipeline_log (
  log_id           bigserial primary key,
  ts               timestamptz not null default now(),
  run_id           uuid not null references pipeline_runs (run_id),
  symbol           text,
  stage            text,
  seq              integer not null default 0,
  module_id        text,
  module_version   text,
  level            text not null default 'info' check (level in ('debug', 'info', 'warn', 'error')),
  event            text not null,
  message          text not null,
  rationale        text,
  outputs          jsonb,
  context_snapshot jsonb,
  duration_ms      double precision
);
create index pipeline_log_run on pipeline_log (run_id, log_id);

create table error_log (
  error_id         bigserial primary key,
  ts               timestamptz not null default now(),
  run_id           uuid references pipeline_runs (run_id),
  symbol           text,
  stage            text,
  module_id        text,
  module_version   text,
  code             text not null,
  error_message    text not null,
  traceback        text,
  context_snapshot jsonb
);
create index error_log_run on error_log (run_id);

create table instruments (
  exchange         text not null,
  symbol           text not null,
  base             text not null,
  quote            text not null,
  category         text not null default 'major',
  price_precision  integer,
  amount_precision integer,
  tick_size        double precision,
  min_qty          double precision,
  min_notional     double precision,
  is_active        boolean not null default true,
  updated_at       timestamptz not null default now(),
  primary key (exchange, symbol)
);

-- OHLCV by candle open time (UTC). Upserted, so re-imports never duplicate.
create table candles (
  exchange  text not null,
  symbol    text not null,
  timeframe text not null,
  ts        timestamptz not null,
  open      double precision not null,
  high      double precision not null,
  low       double precision not null,
  close     double precision not null,
  volume    double precision not null check (volume >= 0),
  primary key (exchange, symbol, timeframe, ts),
  check (high >= low and high >= open and high >= close and low <= open and low <= close)
);
