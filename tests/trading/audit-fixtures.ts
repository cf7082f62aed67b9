import type { Queryable } from '../../store/db.ts';
import type { AuditEntryInput } from '../../trading/audit/audit-entry.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';

/** Varied, realistic audit rows: every mode, actor, status and optional field shows up, plus non-ASCII and quoting in details. */
export function sampleEntry(i: number): AuditEntryInput {
  const modes = ['TEST', 'LIVE', 'SYSTEM'] as const;
  const statuses = ['SUCCESS', 'FAILURE', 'PENDING', 'INFO', 'WARNING', 'CRITICAL', 'APPROVED', 'REJECTED'] as const;
  const profiles = [null, 'low', 'medium', 'high'] as const;
  return {
    mode: modes[i % 3]!,
    actor: i % 2 === 0 ? 'SYSTEM' : 'USER',
    action_type: i % 4 === 0 ? 'ORDER_PLACED' : 'PROPOSAL_DECIDED',
    status: statuses[i % statuses.length]!,
    risk_profile: profiles[i % profiles.length]!,
    details: {
      i,
      symbol: i % 2 === 0 ? 'BTC/USDT' : 'ETH/USDT',
      note: `row "${i}" – größe ✓ \\ \u001f`,
      nested: { z: 1, a: [i, null, true] },
    },
    entity_type: i % 5 === 0 ? null : 'order',
    entity_id: i % 5 === 0 ? null : `ord-${i}`,
  };
}

/** Writes `count` sample rows through the one writer, one statement each; returns their seqs. */
export async function writeSampleRows(q: Queryable, count: number, offset = 0): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push(await recordAudit(q, sampleEntry(offset + i)));
  return seqs;
}

/** Runs `sql` as the superuser with the trail's protective triggers off, as an attacker with owner access would. */
export async function tamper(q: Queryable, sql: string): Promise<void> {
  await q.exec('alter table audit_trail disable trigger user; alter table audit_chain_head disable trigger user');
  try {
    await q.exec(sql);
  } finally {
    await q.exec('alter table audit_trail enable trigger user; alter table audit_chain_head enable trigger user');
  }
}
