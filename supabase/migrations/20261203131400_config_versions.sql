-- Versions of configuration applied from files: `trader pipeline apply`, `trader strategy
-- apply` and `trader config apply` each add the applied document as the next version of
-- its pipeline, strategy or system mode (name = TEST or LIVE). What an apply replaces is
-- kept too (source `found`) when no version recorded it yet (the first apply, or a change
-- made by SQL since), so a previous configuration is never lost:
-- `trader pipeline export <id> --version <n>` writes it back out.
-- Versions are history: the mode roles may read and append them, never rewrite or delete.
create table config_versions (
  kind       text not null check (kind in ('pipeline', 'strategy', 'config')),
  name       text not null check (name <> ''),
  version    integer not null check (version >= 1),
  document   jsonb not null,
  source     text not null check (source in ('found', 'applied')),
  applied_at timestamptz not null default now(),
  primary key (kind, name, version)
);

grant select, insert on config_versions to trader_test, trader_live;
