import { z } from 'zod';

/**
 * Which backups to keep: the newest of each of the last `daily` days, `weekly` ISO weeks
 * and `monthly` months that have a backup (grandfather-father-son, all in UTC). A backup
 * kept by any rule stays; the newest one always stays, so rotation can never delete the
 * only copy. The same plan is applied to the local folder and to the offsite bucket.
 */
export const Retention = z.object({
  daily: z.number().int().min(1).max(366),
  weekly: z.number().int().min(0).max(520),
  monthly: z.number().int().min(0).max(1200),
});
export type Retention = z.infer<typeof Retention>;

export const defaultRetention: Retention = { daily: 7, weekly: 4, monthly: 12 };

export interface DatedBackup {
  name: string;
  created_at: Date;
}

const stampPattern = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/;

/** The time a file name carries (`...20261205T030000Z...`, as backup.ts fileStamp writes it); undefined when none. */
export function timeOfName(name: string): Date | undefined {
  const m = stampPattern.exec(name);
  if (!m) return undefined;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `trader-20261205T030000Z.trbk` (backup.ts names them so) -> its time; anything else -> undefined. */
export function backupTimeOfName(name: string): Date | undefined {
  return /^trader-\d{8}T\d{6}Z\.trbk$/.test(name) ? timeOfName(name) : undefined;
}

const dayKey = (d: Date) => d.toISOString().slice(0, 10);
const monthKey = (d: Date) => d.toISOString().slice(0, 7);

/** ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday). */
function weekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** The newest backup of each of the first `count` distinct periods, newest period first. */
function newestPerPeriod(sorted: DatedBackup[], key: (d: Date) => string, count: number): string[] {
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const b of sorted) {
    if (seen.size >= count) break;
    const k = key(b.created_at);
    if (seen.has(k)) continue;
    seen.add(k);
    kept.push(b.name);
  }
  return kept;
}

/** The plan: which backups stay and which go, each list newest first. */
export function planRotation(backups: DatedBackup[], keep: Retention): { keep: string[]; remove: string[] } {
  const sorted = [...backups].sort((a, b) => b.created_at.getTime() - a.created_at.getTime());
  const kept = new Set([
    ...newestPerPeriod(sorted, dayKey, keep.daily),
    ...newestPerPeriod(sorted, weekKey, keep.weekly),
    ...newestPerPeriod(sorted, monthKey, keep.monthly),
  ]);
  return {
    keep: sorted.filter((b) => kept.has(b.name)).map((b) => b.name),
    remove: sorted.filter((b) => !kept.has(b.name)).map((b) => b.name),
  };
}
