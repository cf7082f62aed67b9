-- The event bus (seed section 12): what happened, typed, in commit order, for whoever
-- listens (`trader events tail`, the dashboard's live updates). An event is written in the
-- transaction of the change it reports, so it exists exactly when the change committed.
--
-- seq is set by the database from a head row locked until commit, as the audit trail's
-- is: commit order is seq order, so a listener that read up to seq N never misses a row
-- that commits later with a smaller seq. Each insert notifies 'trader_events' with its
-- seq (delivered at commit); listeners that cannot LISTEN (a client of the embedded
-- database's socket) poll by seq instead.
create table events (
  seq        bigint primary key,
  ts         timestamptz not null,
  mode       text not null check (mode in ('TEST', 'LIVE', 'SYSTEM')),
  event_type text not null check (event_type ~ '^[A-Z][A-Z0-9_]*$'),
  payload    jsonb not null default '{}'::jsonb
);
create index events_ts on events (ts);

create table events_head (
  id  smallint primary key default 1 check (id = 1),
  seq bigint not null
);
insert into events_head (id, seq) values (1, 0);

-- Runs as the table owner, so writers need no privilege on the head.
create function events_sequence() returns trigger
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
  update public.events_head set seq = seq + 1 where id = 1 returning seq into new.seq;
  new.ts := clock_timestamp();
  perform pg_notify('trader_events', new.seq::text);
  return new;
end $$;
create trigger events_sequence before insert on events for each row execute function events_sequence();

-- Each mode's role publishes its own mode's events (and SYSTEM ones); every event is readable.
alter table events enable row level security;
create policy events_read on events for select using (true);
create policy events_write_test on events for insert to trader_test with check (mode in ('TEST', 'SYSTEM'));
create policy events_write_live on events for insert to trader_live with check (mode in ('LIVE', 'SYSTEM'));
grant select, insert on events to trader_test, trader_live;
