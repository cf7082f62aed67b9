-- Least privilege for the mode roles (trader_test, trader_live).
--
-- Code runs as a mode role in every trading transaction (`set local role`, trading/scope.ts),
-- and a deployment may log in as a member of one mode role only (`trader db roles`). Until
-- now either role could reset the wrong-PIN counter (bypassing the throttle), read the
-- master PIN hash (guessing offline) and insert audit rows directly. From here on:
-- * the PIN hash and the counter are out of their reach: a PIN is checked through
--   master_pin_submit() and master_pin_outcome(), which count, throttle and audit every
--   attempt in a way no rollback undoes;
-- * the audit trail is appended to only through audit_append(), which accepts rows of the
--   caller's own mode (or SYSTEM) and, like every append, records the database role that
--   made it (db_role, covered by the row's hash);
-- * on its own trading schema a role appends trades and changes only the columns the code
--   changes: no fill, entry price or proposal can be rewritten.
-- Every SECURITY DEFINER function pins its search_path with pg_temp last, so a temporary
-- table of the caller's cannot stand in for one of ours.

-- The audit trail: who appended each row, hashed with it. concat_ws skips a NULL, so rows
-- written before this column existed keep their hashes.
alter table audit_trail add column db_role text;

create or replace function audit_row_text(a audit_trail) returns text
language sql stable set search_path = pg_catalog, public, pg_temp as $$
  select concat_ws(chr(31),
    a.seq::text,
    to_char(a.ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    a.mode, a.actor, a.action_type, a.status,
    coalesce(a.risk_profile, '-'),
    a.details::text,
    coalesce(a.entity_type, '-'),
    coalesce(a.entity_id, '-'),
    a.prev_hash,
    a.db_role)
$$;

-- The role a statement runs as: the one `set role` chose, else the login. Inside a SECURITY
-- DEFINER function current_user is the owner, but the `role` setting still names the caller's.
create function audit_caller_role() returns text
language sql stable set search_path = pg_catalog, pg_temp as $$
  select coalesce(nullif(current_setting('role'), 'none'), session_user::text)
$$;

create or replace function audit_chain_row() returns trigger
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
  head public.audit_chain_head;
begin
  select * into head from public.audit_chain_head where id = 1 for update;
  new.seq := head.seq + 1;
  new.ts := date_trunc('milliseconds', clock_timestamp());
  new.prev_hash := head.hash;
  new.db_role := public.audit_caller_role();
  new.hash := encode(sha256(convert_to(public.audit_row_text(new), 'UTF8')), 'hex');
  update public.audit_chain_head set seq = new.seq, hash = new.hash where id = 1;
  return new;
end $$;

-- The one way a mode role appends to the trail. A TEST caller writes TEST (or SYSTEM) rows,
-- a LIVE caller LIVE (or SYSTEM) rows; the chain trigger stamps seq, time, db_role and hash.
create function audit_append(
  p_mode text,
  p_actor text,
  p_action_type text,
  p_status text,
  p_risk_profile text,
  p_details jsonb,
  p_entity_type text,
  p_entity_id text
) returns bigint
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
  caller text := public.audit_caller_role();
  mode_role text := case p_mode when 'TEST' then 'trader_test' when 'LIVE' then 'trader_live' end;
  appended bigint;
begin
  if mode_role is not null and not pg_has_role(caller, mode_role, 'MEMBER') then
    raise exception 'the database role % may not append % audit rows: only members of % may', caller, p_mode, mode_role
      using errcode = 'insufficient_privilege';
  end if;
  insert into public.audit_trail (mode, actor, action_type, status, risk_profile, details, entity_type, entity_id)
  values (p_mode, p_actor, p_action_type, p_status, p_risk_profile, coalesce(p_details, '{}'::jsonb), p_entity_type, p_entity_id)
  returning seq into appended;
  return appended;
end $$;

revoke insert on audit_trail from trader_test, trader_live;
drop policy audit_write_test on audit_trail;
drop policy audit_write_live on audit_trail;
revoke all on function audit_append(text, text, text, text, text, jsonb, text, text) from public;
grant execute on function audit_append(text, text, text, text, text, jsonb, text, text) to trader_test, trader_live;

-- The master PIN. The mode roles may learn the key derivation and salt (needed to derive a
-- candidate, useless without the hash) and submit a candidate; nothing more.
revoke all on master_pin, pin_attempts from trader_test, trader_live;

create function master_pin_params() returns table (kdf text, salt text)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
  select m.kdf, m.salt from public.master_pin m where m.id = 1
$$;

-- Seconds PIN entry stays locked after `failures` misses in a row: two are free, the third
-- locks 30 s, each further miss doubles it, up to an hour.
create function pin_lock_seconds(failures integer) returns integer
language sql immutable set search_path = pg_catalog, pg_temp as $$
  select case when failures <= 2 then 0 else least(3600, 30 * power(2, least(failures - 3, 7))::integer) end
$$;

-- A PIN attempt takes two transactions, so that rolling back cannot undo the count: were the
-- outcome given in the transaction that counts the attempt, a caller could read it and roll
-- the count back, guessing without limit. master_pin_submit() counts the attempt as a miss
-- before anyone knows whether it is one (and audits it as PENDING); only once that is
-- committed does master_pin_outcome() compare, undo the count when the PIN was right, and
-- audit the outcome. Candidates wait here in between; no mode role can read this table.
create table pin_checks (
  check_id     bigint generated always as identity primary key,
  submitted_by xid8 not null default pg_current_xact_id(),
  submitted_at timestamptz not null default now(),
  purpose      text not null,
  candidate    text not null,
  failed_count integer not null,
  locked_until timestamptz
);

-- `candidate` is the base64 scrypt hash the caller derived with master_pin_params(). Under
-- the pin_attempts row lock, so concurrent guesses count one by one. While PIN entry is
-- locked the candidate is not even kept: a lock that still tells right from wrong slows
-- nothing down. Returns the check to ask master_pin_outcome() about after commit, or no
-- check and the lock's end (locked), or neither (no PIN is set).
create function master_pin_submit(candidate text, purpose text)
returns table (check_id bigint, locked_until timestamptz)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
#variable_conflict use_column
declare
  counter public.pin_attempts;
  failures integer;
  lock_for integer;
  lock_ends timestamptz;
  submitted bigint;
begin
  if not exists (select 1 from public.master_pin) then
    return query select null::bigint, null::timestamptz;
    return;
  end if;
  insert into public.pin_attempts (id) values (1) on conflict (id) do nothing;
  select * into counter from public.pin_attempts a where a.id = 1 for update;
  if counter.locked_until > now() then
    perform public.audit_append('SYSTEM', 'USER', 'PIN_VERIFY', 'FAILURE', null,
      jsonb_build_object('purpose', purpose, 'reason', 'locked'), null, null);
    return query select null::bigint, counter.locked_until;
    return;
  end if;
  failures := counter.failed_count + 1;
  lock_for := public.pin_lock_seconds(failures);
  lock_ends := case when lock_for > 0 then now() + lock_for * interval '1 second' end;
  update public.pin_attempts a set failed_count = failures, last_failed_at = now(), locked_until = lock_ends where a.id = 1;
  insert into public.pin_checks (purpose, candidate, failed_count, locked_until)
  values (purpose, candidate, failures, lock_ends) returning pin_checks.check_id into submitted;
  perform public.audit_append('SYSTEM', 'USER', 'PIN_VERIFY', 'PENDING', null,
      jsonb_build_object('purpose', purpose, 'check', submitted), null, null);
  return query select submitted, null::timestamptz;
end $$;

-- The outcome of a committed check, given once: ok (the count is undone), or wrong with the
-- lock it caused. last_failed_at is left as it is: it still dates the last miss.
create function master_pin_outcome(p_check_id bigint)
returns table (outcome text, locked_until timestamptz)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
#variable_conflict use_column
declare
  checked public.pin_checks;
  stored_hash text;
  details jsonb;
begin
  select * into checked from public.pin_checks c where c.check_id = p_check_id for update;
  if not found then
    raise exception 'PIN check % does not exist or was answered already', p_check_id using errcode = 'no_data_found';
  end if;
  if pg_xact_status(checked.submitted_by) is distinct from 'committed' then
    raise exception 'the outcome of PIN check % is given only after the transaction that submitted it has committed',
      p_check_id using errcode = 'object_not_in_prerequisite_state';
  end if;
  delete from public.pin_checks c where c.check_id = p_check_id;
  select m.hash into stored_hash from public.master_pin m where m.id = 1;
  details := jsonb_build_object('purpose', checked.purpose, 'check', p_check_id);
  -- Digests are compared, not the hashes, so the comparison's duration says nothing about the stored one.
  if sha256(convert_to(checked.candidate, 'UTF8')) = sha256(convert_to(stored_hash, 'UTF8')) then
    update public.pin_attempts a set failed_count = 0, locked_until = null where a.id = 1;
    perform public.audit_append('SYSTEM', 'USER', 'PIN_VERIFY', 'SUCCESS', null, details, null, null);
    return query select 'ok'::text, null::timestamptz;
    return;
  end if;
  details := details || jsonb_build_object('failed_count', checked.failed_count);
  if checked.locked_until is not null then
    details := details || jsonb_build_object('locked_until',
      to_char(checked.locked_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
  end if;
  perform public.audit_append('SYSTEM', 'USER', 'PIN_VERIFY', 'FAILURE', null, details, null, null);
  return query select 'wrong'::text, checked.locked_until;
end $$;

revoke all on function master_pin_params() from public;
revoke all on function master_pin_submit(text, text) from public;
revoke all on function master_pin_outcome(bigint) from public;
grant execute on function master_pin_params(), master_pin_submit(text, text), master_pin_outcome(bigint)
  to trader_test, trader_live;

-- Trading state: each role appends positions, trades, proposals and wallets of its own mode,
-- and updates only the columns that change after a row is written. Trades are never updated.
do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('revoke insert, update, delete on all tables in schema %I from %I', m.schema_name, m.role_name);
    execute format('grant insert on %1$I.positions, %1$I.trades, %1$I.proposals, %1$I.wallets to %2$I', m.schema_name, m.role_name);
    execute format('grant update (operational_mode, risk_profile, leverage_enabled, leverage_enabled_at, halted, emergency,
      halt_reason, halted_at, emergency_halt_action, close_all_acknowledged_at, equity, peak_equity, drawdown_pct,
      equity_as_of, paper_fee_bps, paper_slippage_bps, proposal_ttl_minutes, initial_balance, updated_at)
      on %I.state to %I', m.schema_name, m.role_name);
    execute format('grant update (risk_per_trade_pct, max_drawdown_pct, max_open_positions, category_cap_pct, allow_leverage,
      max_leverage, updated_at) on %I.risk_profiles to %I', m.schema_name, m.role_name);
    execute format('grant update (balance, updated_at) on %I.wallets to %I', m.schema_name, m.role_name);
    execute format('grant update (open_qty, margin, realized_pnl, fees_paid, take_profits, status, closed_at, close_reason,
      checked_through) on %I.positions to %I', m.schema_name, m.role_name);
    execute format('grant update (status, decided_at, decision_note, position_id) on %I.proposals to %I',
      m.schema_name, m.role_name);
  end loop;
end $$;
