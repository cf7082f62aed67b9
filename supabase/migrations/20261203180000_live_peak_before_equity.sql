-- LIVE's peak equity is 0 until a reconciliation has seen equity on the exchange: the
-- drawdown is judged from the highest equity reconciled, never from a placeholder. (The
-- seed's placeholder peak of 1 made an empty account's first reconciliation a 100 %
-- drawdown, and so an emergency halt.) TEST keeps its positive peak (its paper balance).
alter table trading_live.state drop constraint state_peak_equity_check;
alter table trading_live.state add constraint state_peak_equity_check check (peak_equity >= 0);
update trading_live.state set peak_equity = 0, drawdown_pct = 0
  where equity_as_of is null or (peak_equity = 1 and initial_balance = 1 and equity = 0);
