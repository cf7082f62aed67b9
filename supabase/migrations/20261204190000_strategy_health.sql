-- A strategy whose modules keep failing is switched off (per system mode): runs in a row in
-- which one of its modules failed, the last failure, and when and why it was disabled.
-- `trader strategy enable` switches it back on (audited); a run without failure resets the count.
do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format($f$
      create table %1$I.strategy_health (
        strategy_id          text primary key,
        consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
        last_failure         text,
        last_failure_at      timestamptz,
        disabled_at          timestamptz,
        disabled_reason      text,
        check ((disabled_at is null) = (disabled_reason is null))
      )$f$, m.schema_name);
    execute format('grant select, insert, update on %I.strategy_health to %I', m.schema_name, m.role_name);
  end loop;
end $$;
