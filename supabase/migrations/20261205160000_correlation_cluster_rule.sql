-- The correlated-cluster risk gate rule (issue 20, item 4), opt-in per risk profile in
-- each system mode: cluster_cap_pct null means the rule is off (the default). Tighter
-- bounds are checked in trading/risk-profiles.ts; these checks are the last line.
do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('alter table %I.risk_profiles
      add column cluster_cap_pct numeric null check (cluster_cap_pct > 0 and cluster_cap_pct <= 100),
      add column cluster_min_correlation numeric not null default 0.7
        check (cluster_min_correlation >= -1 and cluster_min_correlation <= 1),
      add column cluster_window_days integer not null default 30
        check (cluster_window_days between 2 and 3650)', m.schema_name);
    execute format('grant update (cluster_cap_pct, cluster_min_correlation, cluster_window_days) on %I.risk_profiles to %I',
      m.schema_name, m.role_name);
  end loop;
end $$;
