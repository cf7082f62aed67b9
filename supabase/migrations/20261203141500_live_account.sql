-- The LIVE account: LIVE trading exists only after `trader live init` (trading/live-account/).
--
-- account holds, in a single row, what the user chose when going live: the exchange, the
-- name of the API key in the vault (api_keys, encrypted under the master PIN), whether
-- the exchange's testnet is used, the risk acknowledgement and the notional caps that the
-- risk gate enforces on every LIVE entry. No row, no LIVE trading: the gate refuses.
--
-- first_order_approvals marks, per pipeline, the first LIVE order a user approved. Until a
-- pipeline has a row here, its LIVE intents become proposals even in full_auto.
--
-- Both are LIVE-only: trader_test gets no privilege on them (the schema is LIVE's), and
-- trader_live may append and change only what the code changes.

create table trading_live.account (
  id                  smallint primary key default 1 check (id = 1),
  exchange            text not null check (exchange ~ '^[a-z][a-z0-9_]*$'),
  api_key_name        text not null,
  sandbox             boolean not null,
  max_order_notional  numeric not null check (max_order_notional > 0 and max_order_notional <= 1e12),
  max_daily_notional  numeric not null check (max_daily_notional > 0 and max_daily_notional <= 1e12),
  acknowledged_phrase text not null,
  initialised_at      timestamptz not null default now(),
  check (max_order_notional <= max_daily_notional)
);

create table trading_live.first_order_approvals (
  pipeline_id text primary key,
  proposal_id bigint not null references trading_live.proposals (proposal_id),
  approved_at timestamptz not null default now()
);

-- Today's LIVE entries are summed for the daily cap.
create index trades_kind_ts on trading_live.trades (kind, ts);

grant select, insert, delete on trading_live.account to trader_live;
grant update (exchange, api_key_name, sandbox, max_order_notional, max_daily_notional, acknowledged_phrase,
  initialised_at) on trading_live.account to trader_live;
-- delete: `trader live init --replace` (new keys, maybe another account) asks for a first approval again.
grant select, insert, delete on trading_live.first_order_approvals to trader_live;
