-- Dashboard sessions of `trader serve`: a user logs in once with a bearer token and
-- then carries an HttpOnly cookie. Only the sha256 of the cookie's value is stored (it
-- is 32 random bytes, like a token). A session authenticates while it has not ended,
-- has not expired and its token is not revoked: revoking a token ends its sessions.
create table http_sessions (
  session_hash  text primary key check (session_hash ~ '^[0-9a-f]{64}$'),
  token_id      bigint not null references http_tokens (token_id),
  created_at    timestamptz not null,
  expires_at    timestamptz not null check (expires_at > created_at),
  last_seen_at  timestamptz not null,
  ended_at      timestamptz
);
create index http_sessions_token on http_sessions (token_id) where ended_at is null;

-- Not granted to trader_test or trader_live: like http_tokens, only the server reads it.
