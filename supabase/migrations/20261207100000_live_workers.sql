-- LIVE through workers (issue 21): what lets `trader worker` processes send LIVE orders.
--
-- 1. A distributed symbol whose LIVE orders were recorded with its decision but not sent yet
--    is 'sending': its run does not close on it until the worker that sends them (or the
--    retry of that job) has recorded what the exchange did.
alter table run_decisions drop constraint run_decisions_status_check;
alter table run_decisions add constraint run_decisions_status_check
  check (status in ('decided', 'error', 'not_run', 'sending'));

-- 2. Order leases: one process at a time talks orders to the exchange for one market
--    (market = the symbol), or for the whole account (market = '*': a run's prelude,
--    reconciliation, which look at every market). A lease expires unless its holder renews
--    it, so a killed process frees its market (at once when it ran on the taker's host and
--    its pid is gone); trading/live/order-lease.ts takes them under a table lock, the only
--    point where two takers meet.
create table trading_test.order_leases (
  exchange    text not null,
  market      text not null,
  holder      text not null,
  host        text not null,
  pid         integer not null,
  acquired_at timestamptz not null default now(),
  expires_at  timestamptz not null,
  primary key (exchange, market)
);
create table trading_live.order_leases (like trading_test.order_leases including all);

do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('grant select, insert, update, delete on %I.order_leases to %I', m.schema_name, m.role_name);
  end loop;
end $$;
