-- Candles whose values cannot be real: a NaN or infinite price or volume, a zero or
-- negative price. The first migration's checks let them through (Postgres orders NaN
-- above every number, so `volume >= 0` and `high >= low` hold for NaN), and one such row
-- made a whole run fail. With these two, together with the existing `low <= open, close
-- <= high` check, the table holds only candles that market/candle-rules.ts accepts.
--
-- NOT VALID: the constraints bind every row written from now on (an insert, an import's
-- upsert over an old row), but existing rows are not checked, so `trader db migrate`
-- never fails on a database that already holds bad rows. Those rows are found by
-- `trader data check` and removed, after confirmation and audited, by `trader data check
-- --fix`; until then a run blocks the affected symbol instead of deciding on them.
alter table candles
  add constraint candles_prices_finite_positive check (
    open > 0 and open < 'Infinity'::float8
    and high > 0 and high < 'Infinity'::float8
    and low > 0 and low < 'Infinity'::float8
    and close > 0 and close < 'Infinity'::float8
  ) not valid,
  add constraint candles_volume_finite check (volume >= 0 and volume < 'Infinity'::float8) not valid;
