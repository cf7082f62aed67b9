-- The audit trail: append-only and hash-chained.
--
-- Each row's hash covers its own fields and the previous row's hash, computed here in
-- the database by a trigger, so no writer can choose its sequence number, time or hash.
-- `trader audit verify` recomputes the chain outside the database: an altered,
-- removed, inserted or reordered row breaks it, even when a superuser disabled the
-- triggers first. audit_chain_head holds the newest seq and hash, so cutting rows off
-- the end is caught too.

create table audit_trail (
  seq          bigint primary key,
  ts           timestamptz not null,
  mode         text not null check (mode in ('TEST', 'LIVE', 'SYSTEM')),
  actor        text not null check (actor in ('SYSTEM', 'USER')),
  action_type  text not null check (action_type ~ '^[A-Z][A-Z0-9_]*$'),
  status       text not null check (status in ('SUCCESS', 'FAILURE', 'PENDING', 'INFO', 'WARNING', 'CRITICAL', 'APPROVED', 'REJECTED')),
  risk_profile text check (risk_profile in ('low', 'medium', 'high')),
  details      jsonb not null default '{}'::jsonb,
  entity_type  text check (entity_type <> ''),
  entity_id    text check (entity_id <> ''),
  prev_hash    text not null,
  hash         text not null
);
create index audit_trail_ts on audit_trail (ts desc);
create index audit_trail_mode_action on audit_trail (mode, action_type, status);
create index audit_trail_entity on audit_trail (entity_type, entity_id);

create table audit_chain_head (
  id   smallint primary key default 1 check (id = 1),
  seq  bigint not null,
  hash text not null
);
insert into audit_chain_head (id, seq, hash) values (1, 0, repeat('0', 64));

-- The text a row's hash is taken over. trading/audit/audit-hash.ts builds the same
-- string from the stored columns; keep the two in step.
create function audit_row_text(a audit_trail) returns text
language sql stable as $$
  select concat_ws(chr(31),
    a.seq::text,
    to_char(a.ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    a.mode, a.actor, a.action_type, a.status,
    coalesce(a.risk_profile, '-'),
    a.details::text,
    coalesce(a.entity_type, '-'),
    coalesce(a.entity_id, '-'),
    a.prev_hash)
$$;

-- Runs as the table owner so writers need no privilege on the chain head; the row
-- lock on the head serialises concurrent writers into one chain.
create function audit_chain_row() returns trigger
language plpgsql security definer set search_path = public as $$
declare
  head audit_chain_head;
begin
  select * into head from audit_chain_head where id = 1 for update;
  new.seq := head.seq + 1;
  new.ts := date_trunc('milliseconds', clock_timestamp());
  new.prev_hash := head.hash;
  new.hash := encode(sha256(convert_to(audit_row_text(new), 'UTF8')), 'hex');
  update audit_chain_head set seq = new.seq, hash = new.hash where id = 1;
  return new;
end $$;

create trigger audit_trail_chain before insert on audit_trail
  for each row execute function audit_chain_row();

create function audit_reject_change() returns trigger
language plpgsql as $$
begin
  raise exception 'audit_trail is append-only: % is not allowed', tg_op;
end $$;

create trigger audit_trail_no_update before update or delete on audit_trail
  for each row execute function audit_reject_change();
create trigger audit_trail_no_truncate before truncate on audit_trail
  for each statement execute function audit_reject_change();
create trigger audit_chain_head_no_delete before delete on audit_chain_head
  for each row execute function audit_reject_change();

-- The head moves only from inside audit_chain_row (trigger depth 2); a direct UPDATE is refused.
create function audit_head_guard() returns trigger
language plpgsql as $$
begin
  if pg_trigger_depth() < 2 then
    raise exception 'audit_chain_head moves only when a row is appended to audit_trail';
  end if;
  return new;
end $$;

create trigger audit_chain_head_only_by_append before update on audit_chain_head
  for each row execute function audit_head_guard();
create trigger audit_chain_head_no_truncate before truncate on audit_chain_head
  for each statement execute function audit_reject_change();

-- Each trading role writes rows of its own mode only, and reads the trail.
alter table audit_trail enable row level security;
create policy audit_read on audit_trail for select to trader_test, trader_live using (true);
create policy audit_write_test on audit_trail for insert to trader_test with check (mode = 'TEST');
create policy audit_write_live on audit_trail for insert to trader_live with check (mode = 'LIVE');
grant select, insert on audit_trail to trader_test, trader_live;
-- So `trader audit verify` works from a process connected as a mode's login role.
grant select on audit_chain_head to trader_test, trader_live;

-- Secrets: the master PIN's slow hash, wrong-PIN throttling and API keys encrypted
-- under a key derived from the PIN. Both modes check PINs (clearing a halt needs one);
-- only LIVE reads API keys. Setting the PIN is for the owner connection alone.
create table master_pin (
  id          smallint primary key default 1 check (id = 1),
  kdf         text not null,
  salt        text not null,
  hash        text not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create table pin_attempts (
  id            smallint primary key default 1 check (id = 1),
  failed_count  integer not null default 0,
  last_failed_at timestamptz,
  locked_until  timestamptz
);
insert into pin_attempts (id) values (1);

create table api_keys (
  name        text primary key check (name ~ '^[a-z0-9][a-z0-9_-]*$'),
  exchange    text not null,
  kdf         text not null,
  salt        text not null,
  iv          text not null,
  ciphertext  text not null,
  auth_tag    text not null,
  created_at  timestamptz not null default now()
);

grant select on master_pin to trader_test, trader_live;
grant select, update on pin_attempts to trader_test, trader_live;
grant select, insert, delete on api_keys to trader_live;
