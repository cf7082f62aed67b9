import { z } from 'zod';
import { queryRows, type Db } from '../../store/db.ts';
import { auditRowHash, genesisHash, HashedRow, hashedColumns } from './audit-hash.ts';

export const AuditProblemKind = z.enum(['altered', 'missing', 'out_of_order', 'inserted', 'head_mismatch']);

/** One break in the chain; `seq` is the row it concerns, null when no single row does (a missing head row or anchor). */
export const AuditProblem = z.object({ seq: z.number().int().nullable(), kind: AuditProblemKind, detail: z.string() });
export type AuditProblem = z.infer<typeof AuditProblem>;

export const AuditHead = z.object({ seq: z.number().int(), hash: z.string() });
export type AuditHead = z.infer<typeof AuditHead>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  rows_checked: z.number().int(),
  /** The chain head as stored; record its hash somewhere else to check later with `expectHead`. */
  head: AuditHead.nullable(),
  problems: z.array(AuditProblem),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

export interface VerifyOptions {
  /** A head hash recorded earlier (an external anchor): some row must still carry it. */
  expectHead?: string;
  /** Rows per query; the walk keeps only one page in memory. */
  pageSize?: number;
}

const short = (hash: string) => hash.slice(0, 12);

/**
 * Walks the whole trail in seq order, recomputing every hash in TypeScript and checking
 * each link and the chain head. Runs in one repeatable-read snapshot, so rows appended
 * by concurrent writers during the walk cannot look like a head mismatch.
 */
export async function verifyAuditTrail(
  db: Pick<Db, 'transaction'>,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 2000;
  return db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read, read only');
    const [head = null] = await queryRows(tx, AuditHead, 'select seq, hash from audit_chain_head where id = 1');
    const problems: AuditProblem[] = [];
    const report = (seq: number | null, kind: AuditProblem['kind'], detail: string) =>
      problems.push({ seq, kind, detail });

    // Row 0 is the virtual start of the chain, whose hash the first row must link to.
    let prev: { seq: number; hash: string } = { seq: 0, hash: genesisHash };
    let rowsChecked = 0;
    let cursor = Number.MIN_SAFE_INTEGER;
    let headRowHash = head?.seq === 0 ? genesisHash : undefined;
    let anchorFound = options.expectHead === genesisHash;

    for (;;) {
      const page = await queryRows(
        tx,
        HashedRow,
        `select ${hashedColumns} from audit_trail where seq > $1 order by seq limit $2`,
        [cursor, pageSize],
      );
      for (const row of page) {
        rowsChecked++;
        cursor = row.seq;
        // Only a row numbered 0 or below can sort before the start; it is not part of the chain, so prev stays.
        const beforeStart = row.seq <= prev.seq;
        if (beforeStart) {
          report(
            row.seq,
            'inserted',
            `row ${row.seq} is numbered before the chain's first row: it was added without the trigger`,
          );
        } else if (row.seq > prev.seq + 1) {
          const gap =
            row.seq - 1 === prev.seq + 1 ? `row ${prev.seq + 1} is` : `rows ${prev.seq + 1} to ${row.seq - 1} are`;
          report(prev.seq + 1, 'missing', `${gap} missing: deleted from the trail`);
        } else if (row.prev_hash !== prev.hash) {
          report(
            row.seq,
            'out_of_order',
            prev.seq === 0
              ? `row ${row.seq} does not link to the start of the chain (its prev_hash is not 64 zeros)`
              : `row ${row.seq} does not link to row ${prev.seq} (prev_hash ${short(row.prev_hash)}… is not ${short(prev.hash)}…): rows were reordered, or one was removed or inserted here`,
          );
        }
        if (auditRowHash(row) !== row.hash)
          report(
            row.seq,
            'altered',
            `row ${row.seq}'s content does not match its hash: it was changed after it was written`,
          );
        if (head && row.seq > head.seq)
          report(
            row.seq,
            'inserted',
            `row ${row.seq} comes after the chain head (row ${head.seq}): it was added without the trigger`,
          );
        if (head && row.seq === head.seq) headRowHash = row.hash;
        if (row.hash === options.expectHead) anchorFound = true;
        if (!beforeStart) prev = row;
      }
      if (page.length < pageSize) break;
    }

    if (!head) {
      report(null, 'head_mismatch', 'the chain head row (audit_chain_head) is missing: it was deleted');
    } else if (headRowHash === undefined) {
      report(
        head.seq,
        'head_mismatch',
        prev.seq < head.seq
          ? `the chain head records row ${head.seq} but the trail ends at row ${prev.seq}: rows were cut off the end`
          : `the chain head records row ${head.seq}, which is missing`,
      );
    } else if (headRowHash !== head.hash) {
      report(
        head.seq,
        'head_mismatch',
        `row ${head.seq}'s hash ${short(headRowHash)}… is not the ${short(head.hash)}… the chain head recorded: the chain was rewritten`,
      );
    }
    if (options.expectHead !== undefined && !anchorFound) {
      report(
        null,
        'head_mismatch',
        `no row carries the expected head hash ${short(options.expectHead)}…: rows up to it were rewritten or removed`,
      );
    }
    return { ok: problems.length === 0, rows_checked: rowsChecked, head, problems };
  });
}
