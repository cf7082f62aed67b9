import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { sharedGate } from '../../market/exchange/rate-buckets-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * take_tokens and the shared gate over it. One database per backend for the file; each test
 * gets an exchange of its own (a block covers every bucket of an exchange), as isolated as a
 * fresh database and a fraction of its cost.
 */
describe.each(backends)('shared rate limits (rate_buckets) on %s', (kind) => {
  let db: TestDb;
  let n = 0;
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(() => db.dispose());

  /** A new exchange with one request_weight bucket, full unless `tokens` says otherwise. */
  async function bucket(capacity: number, refillPerS: number, tokens = capacity): Promise<string> {
    const exchange = `x${++n}`;
    await db.query(
      `insert into rate_buckets (exchange, bucket, capacity, refill_per_s, tokens) values ($1, 'request_weight', $2, $3, $4)`,
      [exchange, capacity, refillPerS, tokens],
    );
    return exchange;
  }
  const take = async (exchange: string, cost: number, bucketName = 'request_weight') =>
    (await db.query<{ wait: number }>('select take_tokens($1, $2, $3) as wait', [exchange, bucketName, cost]))[0]!.wait;
  const tokens = async (exchange: string) =>
    (await db.query<{ tokens: number }>(`select tokens from rate_buckets where exchange = $1`, [exchange]))[0]!.tokens;
  /** Moves the bucket's clock back, as if `seconds` had passed since its last take. */
  const age = (exchange: string, seconds: number) =>
    db.query(`update rate_buckets set updated_at = updated_at - make_interval(secs => $2) where exchange = $1`, [
      exchange,
      seconds,
    ]);

  it('grants up to the capacity, then returns the wait the refill needs and takes nothing', async () => {
    const x = await bucket(5, 0.5);
    for (let i = 0; i < 5; i++) expect(await take(x, 1)).toBe(0);
    const wait = await take(x, 1);
    // 1 token at 0.5/s is 2 s, less whatever refilled since (well under a second here).
    expect(wait).toBeGreaterThan(1);
    expect(wait).toBeLessThanOrEqual(2);
    expect(await tokens(x)).toBeLessThan(0.5);
    expect(await take(x, 6)).toBe(Infinity);
    expect(await take('no-such-exchange', 1000)).toBe(0);
    await expect(take(x, -1)).rejects.toThrow(/cost must be a finite number/);
  });

  it('never holds more than its capacity, however long it stood idle', async () => {
    const x = await bucket(5, 2, 1);
    await age(x, 3600);
    expect(await take(x, 1)).toBe(0);
    expect(await tokens(x)).toBeCloseTo(4, 6);
    expect(await take(x, 5)).toBeGreaterThan(0);
  });

  it('grants exactly what the capacity and the time allow, over random takes and idle times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 50 }).map((r) => r / 10),
        fc.array(fc.record({ cost: fc.integer({ min: 0, max: 22 }), idleMs: fc.integer({ min: 0, max: 3000 }) }), {
          maxLength: 8,
        }),
        async (capacity, refill, steps) => {
          const started = Date.now();
          const x = await bucket(capacity, refill);
          // The model refills only the simulated idle time; the database also refills the real time the test takes.
          let model = capacity;
          let granted = 0;
          let idle = 0;
          for (const { cost, idleMs } of steps) {
            await age(x, idleMs / 1000);
            idle += idleMs / 1000;
            model = Math.min(capacity, model + refill * (idleMs / 1000));
            const wait = await take(x, cost);
            if (cost > capacity) expect(wait).toBe(Infinity);
            else if (model >= cost + 1e-6) expect(wait).toBe(0);
            if (wait === 0) {
              granted += cost;
              model = Math.max(0, model - cost);
            } else if (wait !== Infinity) {
              // Never 0 when refused, never longer than the refill needs.
              expect(wait).toBeGreaterThan(0);
              expect(wait).toBeLessThanOrEqual(Math.max(0.001, (cost - model) / refill) + 1e-6);
            }
            const left = await tokens(x);
            expect(left).toBeGreaterThanOrEqual(-1e-9);
            expect(left).toBeLessThanOrEqual(capacity);
          }
          const realS = (Date.now() - started) / 1000;
          expect(granted).toBeLessThanOrEqual(capacity + refill * (idle + realS) + 1e-6);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('shares one bucket between gates that take in batches: together they never get more than it holds', async () => {
    const x = await bucket(20, 1e-6);
    const gates = [1, 2].map(() => sharedGate(db, { batch: { request_weight: 3 }, maxWaitMs: 1000 }));
    const drain = async (gate: (typeof gates)[number]) => {
      let got = 0;
      for (;;) {
        try {
          await gate.take(x, 'request_weight', 1);
          got++;
        } catch (e) {
          expect(e).toBeInstanceOf(TraderError);
          return got;
        }
      }
    };
    const got = await Promise.all(gates.map(drain));
    const total = got[0]! + got[1]!;
    expect(total).toBeLessThanOrEqual(20);
    // A gate leaves at most a batch unspent; the last requests ask for their own cost alone.
    expect(total).toBeGreaterThanOrEqual(20 - 2 * 3);
    expect(await tokens(x)).toBeGreaterThanOrEqual(0);
  });

  it('sleeps the wait take_tokens returns and asks again', async () => {
    const x = await bucket(2, 1);
    const slept: number[] = [];
    // Sleeping is simulated by ageing the bucket: the database's clock then reads as if the time had passed.
    const gate = sharedGate(db, {
      batch: {},
      sleep: async (ms) => {
        slept.push(ms);
        await age(x, ms / 1000);
      },
    });
    for (let i = 0; i < 3; i++) await gate.take(x, 'request_weight', 1);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(0);
    expect(slept[0]).toBeLessThanOrEqual(1000);
  });

  it('a block set by one gate makes every gate wait, and a wait past the limit ends in one sentence', async () => {
    const x = await bucket(100, 10);
    await db.query(
      `insert into rate_buckets (exchange, bucket, capacity, refill_per_s, tokens) values ($1, 'orders', 10, 1, 10)`,
      [x],
    );
    const sleep = vi.fn(async () => {});
    const [a, b] = [1, 2].map(() => sharedGate(db, { maxWaitMs: 5000, sleep }));
    await a!.take(x, 'request_weight', 1); // a holds 9 ahead now
    await a!.blockedFor(x, 60_000);
    for (const [gate, bucketName] of [
      [a!, 'request_weight'],
      [b!, 'request_weight'],
      [b!, 'orders'],
    ] as const) {
      const refusal = gate.take(x, bucketName, 1);
      await expect(refusal).rejects.toMatchObject({ code: 'TRANSIENT' });
      await expect(refusal).rejects.toThrow(
        `${x}'s shared ${bucketName} allowance would keep this request waiting over 5 s: other workers are using it up or the exchange asked for a pause (rate_buckets); try again later.`,
      );
    }
    expect(sleep).not.toHaveBeenCalled();
    // A shorter block never shortens a longer one.
    await b!.blockedFor(x, 1000);
    expect(await take(x, 1)).toBeGreaterThan(50);
  });

  it('refuses, naming the fix, a request that can never fit its bucket', async () => {
    const x = await bucket(5, 1);
    await expect(sharedGate(db).take(x, 'request_weight', 6)).rejects.toThrow(
      `A request costing 6 never fits ${x}'s request_weight bucket: raise its capacity in rate_buckets to at least 6.`,
    );
    // A batch larger than the bucket falls back to the request's own cost.
    await sharedGate(db, { batch: { request_weight: 10 } }).take(x, 'request_weight', 2);
    expect(await tokens(x)).toBeCloseTo(3, 2);
  });

  it.runIf(kind === 'postgres')('grants exactly the capacity to takers racing from several connections', async () => {
    const x = await bucket(5, 1e-6);
    const sql = postgres(db.url!, { max: 10, onnotice: () => {} });
    try {
      // An object, not the array: postgres.js would await an array of queries inside the transaction.
      const { racing } = await sql.begin(async (tx) => {
        // Hold the row, so all eight queue on its lock and are let in together.
        await tx`select 1 from rate_buckets where exchange = ${x} for update`;
        const racing = Array.from({ length: 8 }, () =>
          sql`select take_tokens(${x}, 'request_weight', 1) as wait`.then((r) => Number(r[0]!.wait)),
        );
        await vi.waitFor(
          async () => {
            const [row] = await sql`select count(*)::int as n from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'`;
            expect(row!.n).toBe(8);
          },
          { timeout: 10_000, interval: 20 },
        );
        return { racing };
      });
      const settled = await Promise.all(racing);
      expect(settled.filter((w) => w === 0)).toHaveLength(5);
      expect(settled.filter((w) => w > 0)).toHaveLength(3);
      expect(await tokens(x)).toBeGreaterThanOrEqual(0);
    } finally {
      await sql.end();
    }
  });
});
