-- Where `trader backup --offsite` copies backups: a bucket of a Supabase project's Storage,
-- and an optional folder in it. One row. The project URL and the service-role key are not
-- here: both live in the key vault's row `offsite` (api_keys, encrypted under the master PIN),
-- where the URL is sealed together with the key, so that nobody who can write this table
-- can send the key to another server. Bucket and folder are not secret: they are shown
-- without the PIN, and a backup carries them to a restored installation.
create table offsite_storage (
  id          smallint primary key default 1 check (id = 1),
  bucket      text not null check (bucket <> ''),
  -- '' for the bucket's top level, else a folder path without a leading or trailing '/'.
  prefix      text not null default '' check (prefix !~ '^/|/$'),
  updated_at  timestamptz not null default now()
);

grant select, insert, update, delete on offsite_storage to trader_test, trader_live;
