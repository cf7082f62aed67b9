-- A pipeline or strategy step may set its own limit on one module call, in milliseconds
-- (sandbox/limits.ts): null keeps the default of 2 s. The module sandbox terminates a call
-- that runs longer and the symbol's outcome is an error naming the module and the limit.
alter table pipeline_config
  add column time_limit_ms integer check (time_limit_ms between 10 and 600000);
alter table strategy_config
  add column time_limit_ms integer check (time_limit_ms between 10 and 600000);
