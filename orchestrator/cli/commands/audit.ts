import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import { parseUtcTime } from '../../../core/time.ts';
import { AuditActor, AuditEntry, AuditMode, AuditStatus, type AuditRow } from '../../../trading/audit/audit-entry.ts';
import { RiskProfileName } from '../../../trading/state-repo.ts';
import { searchAudit, type AuditFilter } from '../../../trading/audit/audit-query.ts';
import { verifyAuditTrail, type AuditVerification } from '../../../trading/audit/audit-verify.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { quote } from '../../../core/quote.ts';

interface SearchFlags extends JsonFlag {
  action?: string;
  actor?: string;
  status?: string;
  mode?: string;
  profile?: string;
  entity?: string;
  since?: string;
  until?: string;
  text?: string;
  limit: string;
}

const maxRows = 10_000;

function wholeNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxRows)
    throw badInput(`${flag} must be a whole number from 1 to ${maxRows}, not ${quote(value)}.`);
  return n;
}

/** One of an enum's values, matched case-insensitively so `--mode test` works too. */
function choice<V extends string>(flag: string, value: string | undefined, values: readonly V[]): V | undefined {
  if (value === undefined) return undefined;
  const match = values.find((v) => v.toLowerCase() === value.toLowerCase());
  if (match === undefined) throw badInput(`${flag} must be one of ${values.join(', ')}, not ${quote(value)}.`);
  return match;
}

function actionType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (!AuditEntry.shape.action_type.safeParse(upper).success)
    throw badInput(
      `--action must be an action type like ORDER_PLACED (letters, digits, underscores), not ${quote(value)}.`,
    );
  return upper;
}

/** `--entity type` matches every entity of that type, `--entity type:id` one entity. */
function entity(value: string | undefined): Pick<AuditFilter, 'entity_type' | 'entity_id'> {
  if (value === undefined) return {};
  const at = value.indexOf(':');
  const [type, id] = at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
  if (type === '' || id === '') throw badInput(`--entity must be type or type:id, e.g. order:42, not ${quote(value)}.`);
  return id === undefined ? { entity_type: type } : { entity_type: type, entity_id: id };
}

function searchFilter(flags: SearchFlags): AuditFilter {
  const since = flags.since === undefined ? undefined : parseUtcTime(flags.since, '--since');
  const until = flags.until === undefined ? undefined : parseUtcTime(flags.until, '--until');
  if (since && until && since >= until) throw badInput('--since must be before --until.');
  if (flags.text === '') throw badInput('--text must not be empty.');
  return {
    action: actionType(flags.action),
    actor: choice('--actor', flags.actor, AuditActor.options),
    status: choice('--status', flags.status, AuditStatus.options),
    mode: choice('--mode', flags.mode, AuditMode.options),
    profile: choice('--profile', flags.profile, RiskProfileName.options),
    ...entity(flags.entity),
    since,
    until,
    text: flags.text,
    limit: wholeNumber('--limit', flags.limit),
  };
}

const detailsWidth = 100;

/** One line per row: seq, UTC time, mode, actor, action, status, profile, entity, compact details. */
function renderRow(r: AuditRow): string[] {
  const entityLabel =
    r.entity_type === null && r.entity_id === null ? '-' : `${r.entity_type ?? '-'}:${r.entity_id ?? '-'}`;
  const details = JSON.stringify(r.details);
  const compact = details.length > detailsWidth ? `${details.slice(0, detailsWidth - 1)}…` : details;
  return [
    String(r.seq),
    r.ts.toISOString(),
    r.mode,
    r.actor,
    r.action_type,
    r.status,
    r.risk_profile ?? '-',
    entityLabel,
    compact,
  ];
}

function printRows(flags: JsonFlag, rows: AuditRow[], empty: string): void {
  output(flags, { ok: true, rows }, () =>
    rows.length === 0
      ? empty
      : table(
          ['seq', 'time', 'mode', 'actor', 'action', 'status', 'profile', 'entity', 'details'],
          rows.map(renderRow),
        ),
  );
}

/** Prints the verdict; a broken chain lists every problem on stdout and one sentence on stderr. */
function printVerification(flags: JsonFlag, result: AuditVerification): number {
  if (result.ok && result.head) {
    const { seq, hash } = result.head;
    output(flags, result, () => `audit trail intact: ${result.rows_checked} rows, head ${seq} ${hash.slice(0, 16)}`);
    return 0;
  }
  const err = new TraderError(
    'INTEGRITY',
    `The audit trail failed verification with ${result.problems.length} problem(s): it was changed outside trader, so restore it from a backup you trust and find out who had owner access to the database.`,
  );
  output(flags, { ...result, error: { code: err.code, message: err.message } }, () =>
    result.problems.map((p) => `${p.kind.padEnd(13)} row ${p.seq ?? '-'}: ${p.detail}`).join('\n'),
  );
  process.stderr.write(`trader: ${err.message}\n`);
  return err.exitCode;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit trail');

  withJson(audit.command('verify'))
    .description("recompute the trail's hash chain: every row's hash, every link, and the chain head")
    .option(
      '--expect-head <hash>',
      'a head hash recorded earlier (from `trader audit verify --json`): a row must still carry it',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader audit verify --expect-head 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\nExit codes: 0 intact, 5 a row was altered, removed, inserted or reordered, 2 bad input.',
    )
    .action(
      action(async (flags: JsonFlag & { expectHead?: string }) => {
        const expectHead = flags.expectHead?.toLowerCase();
        if (expectHead !== undefined && !/^[0-9a-f]{64}$/.test(expectHead))
          throw badInput(`--expect-head must be a full 64-character hex hash, not ${quote(flags.expectHead)}.`);
        const result = await withDb('audit verify', (db) =>
          verifyAuditTrail(db, expectHead === undefined ? {} : { expectHead }),
        );
        return printVerification(flags, result);
      }),
    );

  withJson(audit.command('tail'))
    .description('the newest audit rows, newest last')
    .option('-n, --lines <n>', 'how many rows', '20')
    .option('--mode <mode>', `only this mode: ${AuditMode.options.join(', ')}`)
    .addHelpText('after', '\nExample:\n  $ trader audit tail -n 50 --mode LIVE')
    .action(
      action(async (flags: JsonFlag & { lines: string; mode?: string }) => {
        const filter: AuditFilter = {
          mode: choice('--mode', flags.mode, AuditMode.options),
          limit: wholeNumber('--lines', flags.lines),
        };
        const rows = await withDb('audit tail', (db) => searchAudit(db, filter));
        printRows(flags, rows, 'The audit trail has no rows yet.');
      }),
    );

  withJson(audit.command('search'))
    .description('audit rows matching every filter given (the newest --limit of them, newest last)')
    .option('--action <type>', 'action type, e.g. ORDER_PLACED')
    .option('--actor <actor>', `who acted: ${AuditActor.options.join(', ')}`)
    .option('--status <status>', `status: ${AuditStatus.options.join(', ')}`)
    .option('--mode <mode>', `mode: ${AuditMode.options.join(', ')}`)
    .option('--profile <profile>', `risk profile: ${RiskProfileName.options.join(', ')}`)
    .option('--entity <type[:id]>', 'the entity the row is about, e.g. order:42 (or just order)')
    .option('--since <iso>', 'rows at or after this UTC time')
    .option('--until <iso>', 'rows before this UTC time')
    .option('--text <substring>', 'a substring of the details JSON (case-insensitive)')
    .option('--limit <n>', 'how many rows at most', '50')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader audit search --actor USER --status REJECTED --since 2026-01-01 --text BTC/USDT',
    )
    .action(
      action(async (flags: SearchFlags) => {
        const filter = searchFilter(flags);
        const rows = await withDb('audit search', (db) => searchAudit(db, filter));
        printRows(flags, rows, 'No audit rows match.');
      }),
    );
}
