import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupTimeOfName, planRotation, type Retention } from '../../orchestrator/backup/rotation.ts';

/**
 * The retention plan (orchestrator/backup/rotation.ts), as properties over random backup
 * histories: the newest backup always stays, nothing is both kept and removed, no more
 * copies stay than the rules allow, and applying the plan twice removes nothing more.
 */

const DAY = 86_400_000;
const history = fc
  .uniqueArray(fc.integer({ min: 0, max: 3 * 365 * 24 }), { minLength: 1, maxLength: 80 })
  .map((hours) =>
    hours.map((h) => {
      const created_at = new Date(Date.UTC(2024, 0, 1) + h * 3_600_000);
      return { name: `b${h}`, created_at };
    }),
  );
const retention = fc.record({
  daily: fc.integer({ min: 1, max: 10 }),
  weekly: fc.integer({ min: 0, max: 6 }),
  monthly: fc.integer({ min: 0, max: 14 }),
}) as fc.Arbitrary<Retention>;

describe('backup rotation', () => {
  it('keeps the newest, partitions the history, stays within the rules and is stable', () => {
    fc.assert(
      fc.property(history, retention, (backups, keep) => {
        const plan = planRotation(backups, keep);
        const newest = [...backups].sort((a, b) => b.created_at.getTime() - a.created_at.getTime())[0]!;
        expect(plan.keep[0]).toBe(newest.name);
        expect([...plan.keep, ...plan.remove].sort()).toEqual(backups.map((b) => b.name).sort());
        expect(plan.keep.length).toBeLessThanOrEqual(keep.daily + keep.weekly + keep.monthly);
        const kept = backups.filter((b) => plan.keep.includes(b.name));
        expect(planRotation(kept, keep).remove).toEqual([]);
      }),
    );
  });

  it('keeps one a day for the last days, one a week and one a month further back', () => {
    // Daily backups at 03:00 for 100 days, 2024-01-01 (a Monday) to 2024-04-09.
    const backups = Array.from({ length: 100 }, (_, d) => ({
      name: `d${d}`,
      created_at: new Date(Date.UTC(2024, 0, 1, 3) + d * DAY),
    }));
    const plan = planRotation(backups, { daily: 3, weekly: 2, monthly: 3 });
    const days = (names: string[]) =>
      names.map((n) => new Date(Date.UTC(2024, 0, 1) + Number(n.slice(1)) * DAY).toISOString().slice(0, 10));
    // The last three days; the newest of this and last ISO week (Sundays); the newest of April, March and February.
    expect(days(plan.keep)).toEqual(['2024-04-09', '2024-04-08', '2024-04-07', '2024-03-31', '2024-02-29']);
  });

  it('reads the time only from the names trader gives its backups', () => {
    expect(backupTimeOfName('trader-20261205T030000Z.trbk')).toEqual(new Date('2026-12-05T03:00:00Z'));
    expect(backupTimeOfName('trader-20261205T030000Z.trbk.manifest.json')).toBeUndefined();
    expect(backupTimeOfName('trader-20261345T030000Z.trbk')).toBeUndefined();
    expect(backupTimeOfName('notes-20261205T030000Z.trbk')).toBeUndefined();
  });
});
