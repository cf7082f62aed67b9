-- The portfolio's value over time, per system mode: a row each time the stored equity or
-- its peak changes, written by a trigger on the mode's state, so every writer (a run's
-- valuation, a fill, a close, reconciliation) is recorded without knowing it. The
-- dashboard's overview draws it. recorded_at is wall-clock time; as_of the market time the
-- value was measured at (a run with --as-of in the past values the account then).
create table trading_test.equity_history (
  id           bigint generated always as identity primary key,
  recorded_at  timestamptz not null default now(),
  as_of        timestamptz,
  equity       numeric not null,
  peak_equity  numeric not null
);
create index equity_history_recorded on trading_test.equity_history (recorded_at desc);
create table trading_live.equity_history (like trading_test.equity_history including all);

-- One function for both modes (the schema is the trigger's table's). Security definer: the
-- mode's role updates state; the history row is the owner's to write.
create function public.record_equity() returns trigger
language plpgsql security definer set search_path = public as $$
begin
  if new.equity is distinct from old.equity or new.peak_equity is distinct from old.peak_equity then
    execute format('insert into %I.equity_history (as_of, equity, peak_equity) values ($1, $2, $3)', tg_table_schema)
      using new.equity_as_of, new.equity, new.peak_equity;
  end if;
  return new;
end $$;
create trigger state_equity_history after update on trading_test.state
  for each row execute function public.record_equity();
create trigger state_equity_history after update on trading_live.state
  for each row execute function public.record_equity();

grant select on trading_test.equity_history to trader_test;
grant select on trading_live.equity_history to trader_live;
