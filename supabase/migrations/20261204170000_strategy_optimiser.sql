-- Strategies that adapt (seed sections 7 and 8): optimiser studies and their trials,
-- strategy versions (parameters a study produced, with its report), and per system mode
-- which version of a strategy is ACTIVE, PROPOSED, REJECTED or RETIRED.
--
-- Studies and versions are content, shared by TEST and LIVE like backtests. Which version
-- trades is trading state: each mode decides it in its own schema, so approving a version
-- in TEST never changes what LIVE trades (LIVE approval asks for the master PIN).

create table optimiser_studies (
  study_id     uuid primary key,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  status       text not null check (status in ('running', 'finished', 'failed')),
  system_mode  text not null check (system_mode in ('TEST', 'LIVE')),
  -- The study as asked (strategies, symbols, span, method, seed, space, windows ...).
  request      jsonb not null,
  -- Set when finished: per strategy the walk-forward table, out-of-sample aggregate, overfitting verdict.
  report       jsonb,
  error        text
);
create index optimiser_studies_created on optimiser_studies (created_at desc);

-- One row per finished trial: kept as it completes, so a killed study resumes without
-- redoing it. A trial is identified by its strategy, walk-forward window and number.
create table optimiser_trials (
  study_id     uuid not null references optimiser_studies on delete cascade,
  strategy_id  text not null,
  window_index integer not null check (window_index >= 0),
  trial_no     integer not null check (trial_no >= 0),
  params       jsonb not null,
  metrics      jsonb,
  -- The score the sampler maximised; null when infeasible (with the reason).
  score        double precision,
  infeasible   text,
  duration_ms  integer not null check (duration_ms >= 0),
  created_at   timestamptz not null default now(),
  primary key (study_id, strategy_id, window_index, trial_no),
  check ((score is null) = (infeasible is not null))
);

-- A strategy version: the module parameters a study chose for a strategy's slots
-- ({module_id: {param: value}}), the risk profiles it suits and the report it won with.
create table strategy_versions (
  strategy_id            text not null,
  version                integer not null check (version >= 1),
  params                 jsonb not null,
  suitable_risk_profiles text[] not null check (suitable_risk_profiles <@ array['low', 'medium', 'high']
                                               and cardinality(suitable_risk_profiles) >= 1),
  study_id               uuid references optimiser_studies on delete set null,
  report                 jsonb,
  created_at             timestamptz not null default now(),
  primary key (strategy_id, version)
);
grant select, insert, update, delete on optimiser_studies, optimiser_trials, strategy_versions to trader_test, trader_live;

do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format($f$
      create table %1$I.strategy_status (
        strategy_id  text not null,
        version      integer not null,
        status       text not null check (status in ('ACTIVE', 'PROPOSED', 'REJECTED', 'RETIRED')),
        created_at   timestamptz not null default now(),
        decided_at   timestamptz,
        decided_by   text,
        note         text,
        primary key (strategy_id, version),
        foreign key (strategy_id, version) references strategy_versions on delete restrict
      )$f$, m.schema_name);
    -- At most one active and one pending proposal per strategy.
    execute format('create unique index strategy_status_one_active on %I.strategy_status (strategy_id) where status = ''ACTIVE''', m.schema_name);
    execute format('create unique index strategy_status_one_proposed on %I.strategy_status (strategy_id) where status = ''PROPOSED''', m.schema_name);
    execute format('grant select, insert on %I.strategy_status to %I', m.schema_name, m.role_name);
    execute format('grant update (status, decided_at, decided_by, note) on %I.strategy_status to %I', m.schema_name, m.role_name);

    -- The seed's config keys: whether a study's winner waits for approval, and how much recent
    -- live (in TEST: paper) performance weighs in a strategy's final score.
    execute format('alter table %I.state add column require_strategy_approval boolean not null default true', m.schema_name);
    execute format('alter table %I.state add column live_performance_feedback_weight numeric not null default 0
      check (live_performance_feedback_weight >= 0 and live_performance_feedback_weight <= 1)', m.schema_name);
    execute format('grant update (require_strategy_approval, live_performance_feedback_weight) on %I.state to %I',
      m.schema_name, m.role_name);

    -- The drawdown no optimised strategy may exceed in its backtests, per target profile.
    execute format('alter table %I.risk_profiles add column optimizer_max_strategy_drawdown_pct numeric not null default 20
      check (optimizer_max_strategy_drawdown_pct > 0 and optimizer_max_strategy_drawdown_pct <= 50)', m.schema_name);
    execute format($f$update %I.risk_profiles set optimizer_max_strategy_drawdown_pct =
      case profile when 'low' then 10 when 'medium' then 20 else 30 end$f$, m.schema_name);
    execute format('grant update (optimizer_max_strategy_drawdown_pct) on %I.risk_profiles to %I', m.schema_name, m.role_name);
  end loop;
end $$;
