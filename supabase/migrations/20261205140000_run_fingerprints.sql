-- What `trader parity` needs to attribute a difference between a recorded run and a replay
-- of the same bar (backtest/parity/). One row per decided symbol of a run, written in the
-- same transaction as that symbol's decision log (engine/run/decide-symbol.ts):
-- * candles: the source, bar count, first and last bar, a sha256 of the candles handed to
--   the modules and one short hash per chunk of bars (to name which bars changed since);
-- * plan: the pipeline, strategy and its active version, and per slot the module id,
--   version, file sha256 and merged params;
-- * inputs: everything else the decision read (run info, instrument, macro, the account's
--   equity, free cash and positions, the profile's limits, costs, history and health
--   settings), so the replay re-decides under the run's own state, not today's.
-- Runs recorded before this migration have no rows: parity says so instead of guessing.
create table run_fingerprints (
  run_id      uuid not null references pipeline_runs (run_id),
  symbol      text not null,
  recorded    jsonb not null,
  primary key (run_id, symbol)
);

-- Shared by both modes like pipeline_log (20261122030000_trading_state.sql): a process logged
-- in as one mode's role records its runs' fingerprints too.
grant select, insert, update, delete on run_fingerprints to trader_test, trader_live;
