import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../store/open.ts';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import {
  adapterCliBackend,
  expectCleanError,
  expectJsonError,
  migratedTarget,
  ok,
  runTrader,
  type CliBackend,
  type Target,
} from '../helpers/cli.ts';
import { tamper, writeSampleRows } from '../trading/audit-fixtures.ts';

/** Opens the target's database in this process (no CLI may be running on a PGlite home meanwhile). */
async function onDb(t: Target, fn: (q: Queryable) => Promise<unknown>): Promise<void> {
  const db = await openDb({ env: t.env, command: 'audit test' });
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/** The seq column of the human table, under its header row. */
const seqsOf = (stdout: string) => {
  const [header, ...rows] = stdout.trimEnd().split('\n');
  expect(header).toMatch(/^seq +time +mode +actor +action +status +profile +entity +details$/);
  return rows.map((line) => Number(line.split(' ')[0]));
};

/** [what, args, message] for input every audit command must refuse with exit 2. */
const badArgs: [string, string[], RegExp][] = [
  [
    'unknown mode',
    ['audit', 'tail', '--mode', 'PAPER'],
    /^trader: --mode must be one of TEST, LIVE, SYSTEM, not 'PAPER'\.$/,
  ],
  [
    'unknown status',
    ['audit', 'search', '--status', 'DONE'],
    /--status must be one of SUCCESS, FAILURE, PENDING, INFO, WARNING, CRITICAL, APPROVED, REJECTED, not 'DONE'/,
  ],
  ['unknown actor', ['audit', 'search', '--actor', 'BOT'], /--actor must be one of SYSTEM, USER, not 'BOT'/],
  [
    'unknown profile',
    ['audit', 'search', '--profile', 'extreme'],
    /--profile must be one of low, medium, high, not 'extreme'/,
  ],
  [
    'malformed action',
    ['audit', 'search', '--action', 'order-placed'],
    /--action must be an action type like ORDER_PLACED/,
  ],
  ['malformed entity', ['audit', 'search', '--entity', ':42'], /--entity must be type or type:id/],
  ['bad time', ['audit', 'search', '--since', 'yesterday'], /--since 'yesterday' is not a UTC time/],
  ['zoneless time', ['audit', 'search', '--until', '2026-01-01T10:00'], /--until '2026-01-01T10:00' is not a UTC time/],
  [
    'since after until',
    ['audit', 'search', '--since', '2026-02-01', '--until', '2026-01-01'],
    /--since must be before --until/,
  ],
  ['empty text', ['audit', 'search', '--text', ''], /--text must not be empty/],
  ['bad limit', ['audit', 'search', '--limit', '0'], /--limit must be a whole number from 1 to 10000, not '0'/],
  ['bad line count', ['audit', 'tail', '-n', 'many'], /--lines must be a whole number from 1 to 10000, not 'many'/],
  [
    'malformed anchor',
    ['audit', 'verify', '--expect-head', 'abc'],
    /--expect-head must be a full 64-character hex hash, not 'abc'/,
  ],
];

describe.each(adapterCliBackend)('trader audit (%s)', (kind: CliBackend) => {
  /** 12 sample rows and one with long details; the last test tampers with it. */
  let t: Target;
  beforeAll(async () => {
    t = await migratedTarget(kind);
    await onDb(t, async (q) => {
      await writeSampleRows(q, 12);
      await recordAudit(q, {
        mode: 'LIVE',
        actor: 'USER',
        action_type: 'NOTE_ADDED',
        status: 'INFO',
        details: { text: 'x'.repeat(300) },
      });
    });
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('verify: an intact trail, its head, and a recorded anchor', async () => {
    const human = await ok(t, 'audit', 'verify');
    expect(human.stdout).toMatch(/^audit trail intact: 13 rows, head 13 [0-9a-f]{16}\n$/);

    const doc = JSON.parse((await ok(t, 'audit', 'verify', '--json')).stdout);
    expect(doc).toEqual({
      ok: true,
      rows_checked: 13,
      head: { seq: 13, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      problems: [],
    });
    expect(human.stdout).toContain(doc.head.hash.slice(0, 16));
    await ok(t, 'audit', 'verify', '--expect-head', doc.head.hash.toUpperCase());

    const unknownAnchor = await runTrader(['audit', 'verify', '--expect-head', 'f'.repeat(64)], t.env);
    expectCleanError(unknownAnchor, 5, /^trader: The audit trail failed verification with 1 problem\(s\)/);
    expect(unknownAnchor.stdout).toMatch(/^head_mismatch row -: no row carries the expected head hash ffffffffffff…/);
  });

  it('tail: the newest rows, newest last, one line each', async () => {
    const all = await ok(t, 'audit', 'tail');
    expect(seqsOf(all.stdout)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    const last = await ok(t, 'audit', 'tail', '-n', '3');
    const lines = last.stdout.trimEnd().split('\n');
    expect(seqsOf(last.stdout)).toEqual([11, 12, 13]);
    // seq, UTC time, mode, actor, action, status, profile, entity, compact details (long ones cut).
    expect(lines[2]).toMatch(
      /^12 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +SYSTEM +USER +PROPOSAL_DECIDED +INFO +high +order:ord-11 +\{"i": ?11/,
    );
    expect(lines[3]).toMatch(/^13 +\S+Z +LIVE +USER +NOTE_ADDED +INFO +- +- +\{"text":"x{80,}…$/);
    expect(lines[3]!.length).toBeLessThan(250);

    const live = JSON.parse((await ok(t, 'audit', 'tail', '--mode', 'live', '--json')).stdout);
    expect(live.ok).toBe(true);
    expect(live.rows.map((r: { seq: number }) => r.seq)).toEqual([2, 5, 8, 11, 13]);
    expect(live.rows[0]).toMatchObject({
      mode: 'LIVE',
      ts: expect.stringMatching(/Z$/),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('search: each filter, combined filters and no match', async () => {
    expect(seqsOf((await ok(t, 'audit', 'search', '--actor', 'USER', '--mode', 'TEST')).stdout)).toEqual([4, 10]);
    expect(seqsOf((await ok(t, 'audit', 'search', '--status', 'rejected')).stdout)).toEqual([8]);
    expect(seqsOf((await ok(t, 'audit', 'search', '--action', 'order_placed')).stdout)).toEqual([1, 5, 9]);
    expect(seqsOf((await ok(t, 'audit', 'search', '--profile', 'low')).stdout)).toEqual([2, 6, 10]);
    expect(seqsOf((await ok(t, 'audit', 'search', '--entity', 'order:ord-7')).stdout)).toEqual([8]);
    expect(seqsOf((await ok(t, 'audit', 'search', '--entity', 'order', '--limit', '2')).stdout)).toEqual([10, 12]);
    expect(seqsOf((await ok(t, 'audit', 'search', '--text', 'ETH/usdt', '--limit', '3')).stdout)).toEqual([8, 10, 12]);
    expect(
      seqsOf(
        (await ok(t, 'audit', 'search', '--since', '2000-01-01', '--until', '2999-01-01T00:00:00Z', '--limit', '1'))
          .stdout,
      ),
    ).toEqual([13]);
    expect((await ok(t, 'audit', 'search', '--since', '2999-01-01')).stdout).toBe('No audit rows match.\n');
    const json = JSON.parse((await ok(t, 'audit', 'search', '--text', 'nothing like this', '--json')).stdout);
    expect(json).toEqual({ ok: true, rows: [] });
  });

  it('bad input: one clear sentence and exit 2', async () => {
    // Refused before the database is opened, so they can run side by side even on PGlite.
    const results = await Promise.all(badArgs.map(([, args]) => runTrader(args, t.env)));
    badArgs.forEach(([what, , message], i) => {
      expect(results[i]!.stdout, what).toBe('');
      expectCleanError(results[i]!, 2, message);
    });
    const json = await runTrader(['audit', 'search', '--mode', 'paper', '--json'], t.env);
    expect(json.code).toBe(2);
    expect(expectJsonError(json, 'BAD_INPUT').error.message).toBe(
      "--mode must be one of TEST, LIVE, SYSTEM, not 'paper'.",
    );
  });

  it('verify: a tampered trail lists each problem and exits 5', async () => {
    await onDb(t, (q) =>
      tamper(
        q,
        `update audit_trail set details = '{"i": 4, "symbol": "BTC/USDT"}' where seq = 5; delete from audit_trail where seq = 9`,
      ),
    );

    const human = await runTrader(['audit', 'verify'], t.env);
    expectCleanError(
      human,
      5,
      /^trader: The audit trail failed verification with 2 problem\(s\): it was changed outside trader, so restore it from a backup you trust/,
    );
    expect(human.stdout).toBe(
      "altered       row 5: row 5's content does not match its hash: it was changed after it was written\nmissing       row 9: row 9 is missing: deleted from the trail\n",
    );

    const json = await runTrader(['audit', 'verify', '--json'], t.env);
    expect(json.code).toBe(5);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ ok: false, rows_checked: 12, head: { seq: 13 }, error: { code: 'INTEGRITY' } });
    expect(doc.problems.map((p: { kind: string; seq: number }) => [p.kind, p.seq])).toEqual([
      ['altered', 5],
      ['missing', 9],
    ]);
    expect(json.stderr).toBe(`trader: ${doc.error.message}\n`);
  });
});
