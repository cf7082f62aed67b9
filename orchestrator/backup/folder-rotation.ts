import fs from 'node:fs';
import path from 'node:path';
import { planRotation, type Retention, timeOfName } from './rotation.ts';

/**
 * Applies the retention plan to the files of a folder that `member` recognises, each group
 * (a backup series, or one export table) on its own, by the time in each name: a file the
 * user put there is never touched. Returns the names removed, with their companions (a
 * backup's manifest).
 */
export function rotateFolder(
  dir: string,
  keep: Retention,
  member: (name: string) => { group: string; companions: string[] } | undefined,
): string[] {
  const groups = new Map<string, { name: string; created_at: Date; companions: string[] }[]>();
  for (const name of fs.readdirSync(dir)) {
    const m = member(name);
    const created_at = timeOfName(name);
    if (!m || !created_at) continue;
    groups.set(m.group, [...(groups.get(m.group) ?? []), { name, created_at, companions: m.companions }]);
  }
  const removed: string[] = [];
  for (const files of groups.values())
    for (const name of planRotation(files, keep).remove)
      for (const f of [name, ...files.find((x) => x.name === name)!.companions]) {
        fs.rmSync(path.join(dir, f), { force: true });
        removed.push(f);
      }
  return removed;
}
