-- Secondary data sources: when the primary source of a data type keeps failing for a
-- symbol, the sources listed here are tried in priority order (lowest first) and the
-- fallback is logged. For candles a source is a ccxt exchange id; symbol '*' applies to all.
create table data_sources (
  data_type text not null check (data_type in ('candles', 'macro')),
  symbol    text not null default '*',
  source    text not null check (source ~ '^[a-z][a-z0-9_]*$'),
  priority  integer not null default 0,
  primary key (data_type, symbol, source)
);
