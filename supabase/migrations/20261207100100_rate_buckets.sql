-- Shared exchange rate limits (issue 21): every `trader worker` on one IP draws from the same
-- token buckets, so N workers together stay inside what the exchange allows one IP and one
-- account, where each would otherwise spend the whole allowance on its own (Binance answers
-- 429, then bans the IP with 418 for minutes to days). market/exchange/rate-buckets-repo.ts
-- takes a request's tokens before sending it; a 429/418 with Retry-After sets blocked_until on
-- every bucket of the exchange, so all workers back off. An exchange or bucket without a row
-- has no shared limit (each process keeps ccxt's own limiter either way).
create table rate_buckets (
  exchange      text not null,
  bucket        text not null,
  -- NaN sorts above Infinity in Postgres, so `< 'Infinity'` refuses both.
  capacity      double precision not null check (capacity > 0 and capacity < 'Infinity'),
  refill_per_s  double precision not null check (refill_per_s > 0 and refill_per_s < 'Infinity'),
  -- As of updated_at; take_tokens refills it first and never past capacity, so lowering the
  -- capacity takes effect at the next take.
  tokens        double precision not null,
  updated_at    timestamptz not null default now(),
  blocked_until timestamptz,
  primary key (exchange, bucket)
);

-- Binance spot (developers.binance.com/docs/binance-spot-api-docs/rest-api/limits): REQUEST_WEIGHT
-- 6000 per minute per IP, ORDERS 50 per 10 s per account. Binance counts in fixed windows, and
-- a token bucket lets a full bucket plus one window's refill through in a single window, so
-- capacity + window × refill must stay under the limit: 1200 + 60 × 75 = 5700 weight a minute
-- (the 300 left over are for processes that are not workers, such as a CLI fetch on the same
-- IP), 10 + 10 × 3.5 = 45 orders per 10 s.
insert into rate_buckets (exchange, bucket, capacity, refill_per_s, tokens) values
  ('binance', 'request_weight', 1200, 75, 1200),
  ('binance', 'orders', 10, 3.5, 10);

-- The tokens a bucket holds at p_at: refilled since updated_at, never past capacity. A time
-- before updated_at (a taker that waited on the row lock took its clock first) refills nothing.
create function rate_bucket_level(b rate_buckets, p_at timestamptz) returns double precision
language sql immutable as $$
  select least(b.capacity, b.tokens + greatest(0, extract(epoch from p_at - b.updated_at)::float8) * b.refill_per_s)
$$;

-- Takes p_cost tokens: returns 0 when granted, else the seconds to wait before asking again
-- (nothing is taken then); 'Infinity' when p_cost exceeds the capacity, since it never fits.
-- A bucket without a row returns 0. The grant is one UPDATE: its row lock queues concurrent
-- takers, and under READ COMMITTED a taker that waited re-evaluates its WHERE against the row
-- the one before it committed, so no token is granted twice.
create function take_tokens(p_exchange text, p_bucket text, p_cost double precision) returns double precision
language plpgsql set search_path = pg_catalog, public, pg_temp as $$
declare
  v_now timestamptz := clock_timestamp();
  v_wait double precision;
begin
  if p_cost is null or not (p_cost >= 0 and p_cost < 'Infinity') then
    raise exception 'take_tokens: the cost must be a finite number of at least 0, not %', p_cost
      using errcode = 'invalid_parameter_value';
  end if;
  update rate_buckets b
  set tokens = rate_bucket_level(b, v_now) - p_cost, updated_at = greatest(b.updated_at, v_now)
  where b.exchange = p_exchange and b.bucket = p_bucket
    and (b.blocked_until is null or b.blocked_until <= v_now)
    and rate_bucket_level(b, v_now) >= p_cost;
  if found then
    return 0;
  end if;
  -- Refused: a wait read without the lock, only a hint (the next call decides), never 0.
  select case
           when p_cost > b.capacity then 'Infinity'::float8
           else greatest(0.001, extract(epoch from b.blocked_until - v_now)::float8,
                         (p_cost - rate_bucket_level(b, v_now)) / b.refill_per_s)
         end
  into v_wait
  from rate_buckets b
  where b.exchange = p_exchange and b.bucket = p_bucket;
  return coalesce(v_wait, 0);
end $$;

-- Shared by both modes (one IP, one exchange allowance), like every shared table.
grant select, insert, update, delete on rate_buckets to trader_test, trader_live;
revoke all on function take_tokens(text, text, double precision) from public;
grant execute on function take_tokens(text, text, double precision) to trader_test, trader_live;
