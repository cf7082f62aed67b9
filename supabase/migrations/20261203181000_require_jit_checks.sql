-- The seed's system.require_jit_checks: in LIVE, false skips the free-balance query of the
-- just-in-time checks before an entry (the risk gate then judges the recorded balance and
-- always runs). TEST has the column too, so both modes' state rows keep one shape; paper
-- trading has no exchange to ask.
alter table trading_test.state add column require_jit_checks boolean not null default true;
alter table trading_live.state add column require_jit_checks boolean not null default true;
grant update (require_jit_checks) on trading_test.state to trader_test;
grant update (require_jit_checks) on trading_live.state to trader_live;
