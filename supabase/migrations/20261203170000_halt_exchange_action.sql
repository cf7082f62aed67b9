-- The emergency halt's action on the exchange (issue 15, item 6; trading/live/halt-on-exchange.ts).
--
-- In LIVE the halt commits first and its action (CANCEL_ORDERS_AND_HALT,
-- MARKET_CLOSE_ALL_AND_HALT) is carried out on the exchange afterwards, order by order. So
-- that a process killed in between, or an exchange that fails half-way, cannot lose it:
-- state.halt_action_pending names the action still owed, set in the halt's own transaction
-- and cleared only once the action found nothing left to do; state.halt_action_problem is
-- why the last attempt did not finish (shown by `trader status`). A pending action exists
-- only under an emergency halt; clearing the halt drops it. TEST (paper) never sets it: its
-- actions happen inside the halt's transaction.

do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('alter table %I.state
      add column halt_action_pending text
        check (halt_action_pending in (''CANCEL_ORDERS_AND_HALT'', ''MARKET_CLOSE_ALL_AND_HALT'')),
      add column halt_action_problem text,
      add check (halt_action_pending is null or emergency)', m.schema_name);
    execute format('grant update (halt_action_pending, halt_action_problem) on %I.state to %I',
      m.schema_name, m.role_name);
  end loop;
end $$;
