-- Bearer tokens of `trader serve` (the HTTP trigger). Only the sha256 of each token is
-- stored: tokens are 32 random bytes, so a fast hash is enough and the token itself is
-- shown once, at creation. A revoked token keeps its row (for `token list --all` and the
-- audit trail) and stops authenticating at once; its name can be given to a new token.
create table http_tokens (
  token_id      bigint generated always as identity primary key,
  name          text not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  token_hash    text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
create unique index http_tokens_active_name on http_tokens (name) where revoked_at is null;

-- Not granted to trader_test or trader_live: only the server (the owner) reads token hashes.
