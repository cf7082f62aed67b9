-- A user's request to run a schedule's job now (`trader schedule trigger`, the dashboard's
-- "Run now", the seed's "Trigger Manual Optimization"): the scheduler process takes it at
-- its next wake (within its poll interval) and runs it as a tick at that time, so a long
-- study never runs inside the server or the command that asked. One request may wait per
-- schedule; `tick` is set when the scheduler takes it and names the tick row it ran as.
create table schedule_requests (
  request_id    bigint generated always as identity primary key,
  schedule_id   bigint not null references schedules on delete cascade,
  requested_at  timestamptz not null default now(),
  requested_by  text not null check (requested_by <> ''),
  -- For a study: the risk profile to optimise for instead of the schedule's.
  profile       text check (profile in ('low', 'medium', 'high')),
  taken_at      timestamptz,
  tick          timestamptz
);
create unique index schedule_requests_one_waiting on schedule_requests (schedule_id) where taken_at is null;
create index schedule_requests_newest on schedule_requests (requested_at desc);

grant select, insert, update, delete on schedule_requests to trader_test, trader_live;
