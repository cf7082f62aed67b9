-- Backtest batches (issue 21): `trader backtest --each` runs one backtest per symbol, each on an
-- account of its own, in this process or as jobs for `trader worker` processes (--distributed).
-- Each backtest of a batch is stored with the batch's id and its place in it. A slot is stored
-- once: the insert of a retried or duplicate job finds it taken and stores nothing
-- (backtest/backtest-repo.ts), and the caller waits for the batch's rows by batch_id.
alter table backtest_runs
  add column batch_id uuid,
  add column batch_index integer check (batch_index >= 0);
alter table backtest_runs add constraint backtest_runs_batch_slot unique (batch_id, batch_index);
alter table backtest_runs add constraint backtest_runs_batch_whole check ((batch_id is null) = (batch_index is null));
