-- Live feedback and per-market assignment (seed section 8; the optimiser issue, items 2 and 7).
--
-- A position remembers the strategy version that opened it, so the optimiser can score a
-- version on its own recent LIVE (in TEST: paper) trades. Proposals carry it from the run
-- to the position they open; a LIVE entry keeps it in its order's plan (jsonb).
--
-- A version also remembers the markets its study found it best on (null: every market
-- trading the strategy). Activating it assigns the strategy to those markets in that mode
-- (<schema>.market_strategy), which wins over asset_config.strategy_id when a run plans.
alter table strategy_versions add column markets text[];

do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('alter table %I.positions add column strategy_version integer', m.schema_name);
    execute format('alter table %I.proposals add column strategy_version integer', m.schema_name);
    execute format($f$
      create table %1$I.market_strategy (
        symbol       text primary key,
        strategy_id  text not null,
        version      integer not null,
        assigned_at  timestamptz not null default now(),
        assigned_by  text not null,
        foreign key (strategy_id, version) references strategy_versions on delete restrict
      )$f$, m.schema_name);
    execute format('grant select, insert, update, delete on %I.market_strategy to %I', m.schema_name, m.role_name);
  end loop;
end $$;

-- Scheduled studies: a schedule runs a pipeline (job 'run') or an optimiser study over the
-- bars before each tick (job 'optimise', its settings in job_args). A study tick keeps its
-- study id, set when the study starts, so a killed one can be resumed and a live one is
-- told from a dead one by its trials.
alter table schedules add column job text not null default 'run' check (job in ('run', 'optimise'));
alter table schedules add column job_args jsonb;
alter table schedules add constraint schedules_job_args check ((job = 'run') = (job_args is null));
alter table schedule_ticks add column study_id uuid references optimiser_studies on delete set null;
