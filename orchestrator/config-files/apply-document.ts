import type { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import type { AuditEntryInput } from '../../trading/audit/audit-entry.ts';
import type { Ask } from '../../trading/governance/user-action.ts';
import { canonical } from '../../core/canonical.ts';
import { type DocKind, getVersion, listVersions, recordVersion } from './config-versions.ts';
import { lineDiff } from './line-diff.ts';
import { parseFile, shorten } from './yaml-file.ts';

/**
 * One flow for every configuration file (a pipeline, a strategy, the system's settings):
 * parse the whole file, check it against everything it touches, show the diff, ask, then
 * write it, its new version and its audit row in one transaction. Nothing is written
 * before the user said yes, and nothing at all for a file that is refused.
 */
export interface DocumentTarget<D> {
  kind: DocKind;
  /** How sentences name the thing: 'pipeline', 'strategy', 'configuration'. */
  noun: string;
  schema: z.ZodType<D>;
  /** Which pipeline, strategy or system mode the document is for. */
  nameOf(doc: D): string;
  /** Runs `fn` in a transaction with the rights the reads and writes need. */
  transaction<T>(db: Db, fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** The stored state as a document; null when the pipeline or strategy does not exist. */
  read(q: Queryable, name: string): Promise<D | null>;
  /** Names that exist, for "does not exist" messages. */
  known(q: Queryable): Promise<string[]>;
  /** The file laid over the stored state, for kinds whose files may leave parts out. */
  complete?(file: D, current: D | null): D;
  /** Every reason `next` cannot be applied, one sentence each (read only). */
  problems(q: Queryable, next: D, current: D | null): Promise<string[]>;
  /** What the user must read before confirming, beyond the diff. */
  warnings(next: D, current: D | null): string[];
  /** YAML text of a document: what export writes and what the diff compares. */
  render(doc: D): string;
  /** Writes `next` in place of `current`; returns what the audit row records besides the version. */
  write(tx: Queryable, next: D, current: D | null): Promise<Record<string, unknown>>;
  /** The audit row's mode and risk profile. */
  auditScope(q: Queryable): Promise<Pick<AuditEntryInput, 'mode' | 'risk_profile'>>;
}

export interface ApplyResult {
  name: string;
  changed: boolean;
  /** The version now current (null: nothing has been applied from a file yet). */
  version: number | null;
  diff: string;
  warnings: string[];
}

function refusal(noun: string, name: string, problems: string[]): TraderError {
  const list = problems.map((p) => `  - ${p}`).join('\n');
  return new TraderError(
    'CONFIG_INVALID',
    `The ${noun} file for ${shorten(name)} was refused, nothing was changed: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`,
    problems,
  );
}

const actionType = (kind: DocKind) => `${kind.toUpperCase()}_APPLIED`;

export async function applyDocument<D>(
  db: Db,
  target: DocumentTarget<D>,
  raw: unknown,
  options: { ask: Pick<Ask, 'confirm'>; show: (diff: string, warnings: string[]) => void },
): Promise<ApplyResult> {
  const file = parseFile(target.schema, raw, target.noun);
  const name = target.nameOf(file);
  const seen = await target.transaction(db, async (q) => {
    const current = await target.read(q, name);
    const next = target.complete ? target.complete(file, current) : file;
    const [latest] = await listVersions(q, target.kind, name);
    return { current, next, version: latest?.version ?? null, problems: await target.problems(q, next, current) };
  });
  const next = seen.next;
  if (seen.problems.length > 0) throw refusal(target.noun, name, seen.problems);
  const before = seen.current === null ? null : canonical(seen.current);
  if (before === canonical(next)) return { name, changed: false, version: seen.version, diff: '', warnings: [] };

  const diff = lineDiff(seen.current === null ? '' : target.render(seen.current), target.render(next));
  const warnings = target.warnings(next, seen.current);
  options.show(diff, warnings);
  const audit = async (q: Queryable, status: 'SUCCESS' | 'REJECTED', details: Record<string, unknown>) =>
    recordAudit(q, {
      ...(await target.auditScope(q)),
      actor: 'USER',
      action_type: actionType(target.kind),
      status,
      details,
      entity_type: target.kind,
      entity_id: name,
    });
  // Without a terminal and without --yes this throws before anything is written.
  const confirmed = await options.ask.confirm(`Apply this change to ${target.noun} ${name}?`);
  if (!confirmed) {
    await target.transaction(db, (q) => audit(q, 'REJECTED', { confirmation: 'declined', warnings }));
    throw new TraderError('BAD_INPUT', `You did not confirm; ${target.noun} ${name} is unchanged.`);
  }
  const version = await target.transaction(db, async (tx) => {
    const now = await target.read(tx, name);
    if ((now === null ? null : canonical(now)) !== before)
      throw new TraderError(
        'CONFIG_INVALID',
        `${target.noun} ${name} changed while you were asked; nothing was applied: run the command again.`,
      );
    const details = await target.write(tx, next, seen.current);
    const v = await recordVersion(tx, target.kind, name, seen.current, next);
    await audit(tx, 'SUCCESS', { version: v, ...details, warnings, confirmed: true });
    return v;
  });
  return { name, changed: true, version, diff, warnings };
}

/** The current document (or a stored version of it) as YAML, with its version number. */
export async function exportDocument<D>(
  db: Db,
  target: DocumentTarget<D>,
  name: string,
  version?: number,
): Promise<{
  text: string;
  version: number | null;
  versions: { version: number; applied_at: Date; source: string }[];
}> {
  return target.transaction(db, async (q) => {
    const versions = (await listVersions(q, target.kind, name)).map(({ version: v, applied_at, source }) => ({
      version: v,
      applied_at,
      source,
    }));
    if (version !== undefined) {
      const row = await getVersion(q, target.kind, name, version);
      if (!row)
        throw new TraderError(
          'NOT_FOUND',
          `${target.noun} ${shorten(name)} has no version ${version} (versions: ${versions.map((v) => v.version).join(', ') || 'none yet'}).`,
        );
      return { text: target.render(target.schema.parse(row.document)), version, versions };
    }
    const current = await target.read(q, name);
    if (current === null) {
      const known = await target.known(q);
      throw new TraderError(
        'NOT_FOUND',
        `${target.noun} ${shorten(name)} does not exist (known: ${known.join(', ') || 'none'}).`,
      );
    }
    return { text: target.render(current), version: versions[0]?.version ?? null, versions };
  });
}
