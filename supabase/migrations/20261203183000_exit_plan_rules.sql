-- The exit plan's position rules (trading/exit-rules.ts), carried from the intent to the position:
--
-- breakeven_after_tp: the stop moves to the entry once that many take-profit rungs filled
--   (0 = from the start); time_stop_bars: what is left is closed at market once that many bars
--   passed with no rung filled. Null = the rule is off, so positions opened before these
--   columns existed keep their meaning.
--
-- stop_price now changes after a position is written (the breakeven move, paper and LIVE):
-- each mode role may update it on its own schema's positions.

do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('alter table %I.positions
      add column breakeven_after_tp integer check (breakeven_after_tp >= 0),
      add column time_stop_bars integer check (time_stop_bars > 0)', m.schema_name);
    execute format('grant update (stop_price) on %I.positions to %I', m.schema_name, m.role_name);
  end loop;
end $$;

-- A backtest trade the time stop closed says so.
alter table backtest_trades drop constraint backtest_trades_exit_reason_check;
alter table backtest_trades add constraint backtest_trades_exit_reason_check
  check (exit_reason in ('stop_loss', 'take_profit', 'exit_request', 'emergency_close', 'end_of_test', 'time_stop'));
