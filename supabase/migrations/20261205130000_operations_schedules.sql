-- Backups and exports as built-in schedule jobs (`trader schedule add --job backup|export`,
-- orchestrator/schedule/scheduled-operations.ts). They act on the whole database, not on
-- markets, so only pipeline runs and studies need symbols.

alter table schedules drop constraint schedules_job_check;
alter table schedules add constraint schedules_job_check check (job in ('run', 'optimise', 'backup', 'export'));
alter table schedules drop constraint schedules_symbols_check;
alter table schedules add constraint schedules_symbols_check
  check (cardinality(symbols) > 0 or job in ('backup', 'export'));
