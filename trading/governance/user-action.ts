import { TraderError } from '../../core/errors.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuditEntryInput } from '../audit/audit-entry.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { hasMasterPin, verifyPin } from '../secrets/pin.ts';
import type { RiskProfileName } from '../state-repo.ts';

/**
 * What a governance action may ask the user. The CLI answers from the terminal or stdin
 * (user-prompts.ts), tests answer directly. Questions are asked outside any transaction,
 * so no row stays locked while a person reads a warning.
 */
export interface Ask {
  /** Shows `warning` and asks yes or no. */
  confirm(warning: string): Promise<boolean>;
  /** Shows `warning` and reads a typed phrase, which must equal `phrase` to count. */
  phrase(warning: string, phrase: string): Promise<string>;
  /** Reads the master PIN (never from argv). */
  pin(): Promise<string>;
}

export type Status = AuditEntryInput['status'];

/** One audit row for a user's governance action, in the scope's mode. */
export function auditUserAction(
  q: Queryable,
  scope: TradingScope,
  riskProfile: RiskProfileName,
  action_type: string,
  status: Status,
  details: Record<string, unknown>,
): Promise<number> {
  return recordAudit(q, { mode: scope.mode, actor: 'USER', action_type, status, risk_profile: riskProfile, details });
}

/**
 * Records a refused or declined user action in a transaction of its own, so the row is
 * committed, then throws `error`. A refusal thrown inside the action's transaction would
 * roll its own audit row back.
 */
export async function refuseUserAction(
  db: Db,
  scope: TradingScope,
  riskProfile: RiskProfileName,
  audit: { action_type: string; status: Status; details: Record<string, unknown> },
  error: TraderError,
): Promise<never> {
  await tradingTx(db, scope, (tx) =>
    auditUserAction(tx, scope, riskProfile, audit.action_type, audit.status, {
      ...audit.details,
      error: error.message,
    }),
  );
  throw error;
}

/**
 * Runs one step of a user action; a TraderError it throws (a question that could not be
 * asked, a refused check) is audited FAILURE in a transaction of its own, then rethrown.
 */
export async function refusedOnError<T>(
  db: Db,
  scope: TradingScope,
  riskProfile: RiskProfileName,
  audit: { action_type: string; details: Record<string, unknown> },
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof TraderError) await refuseUserAction(db, scope, riskProfile, { ...audit, status: 'FAILURE' }, e);
    throw e;
  }
}

/**
 * Asks `ask.confirm(warning)`; continues only on yes. A decline is audited REJECTED and
 * throws `declined`; a question that could not be asked (no terminal, no --yes) is
 * audited FAILURE and throws its own error. Either way nothing has changed.
 */
export async function confirmOrRefuse(
  db: Db,
  scope: TradingScope,
  riskProfile: RiskProfileName,
  ask: Pick<Ask, 'confirm'>,
  warning: string,
  audit: { action_type: string; details: Record<string, unknown> },
  declined: TraderError,
): Promise<void> {
  const confirmed = await refusedOnError(
    db,
    scope,
    riskProfile,
    { ...audit, details: { ...audit.details, confirmation: 'not_asked' } },
    () => ask.confirm(warning),
  );
  if (!confirmed)
    await refuseUserAction(
      db,
      scope,
      riskProfile,
      { ...audit, status: 'REJECTED', details: { ...audit.details, confirmation: 'declined' } },
      declined,
    );
}

/**
 * Shows `warning` and asks for the typed `phrase`; continues only on an exact match.
 * A mismatch, or a question that could not be asked, is audited FAILURE and thrown.
 */
export async function typedPhraseOrRefuse(
  db: Db,
  scope: TradingScope,
  riskProfile: RiskProfileName,
  ask: Pick<Ask, 'phrase'>,
  prompt: { warning: string; phrase: string },
  audit: { action_type: string; details: Record<string, unknown> },
  mismatch: TraderError,
): Promise<void> {
  const typed = await refusedOnError(
    db,
    scope,
    riskProfile,
    { ...audit, details: { ...audit.details, confirmation: 'not_asked' } },
    () => ask.phrase(prompt.warning, prompt.phrase),
  );
  if (typed !== prompt.phrase)
    await refuseUserAction(
      db,
      scope,
      riskProfile,
      { ...audit, status: 'FAILURE', details: { ...audit.details, confirmation: 'phrase_mismatch' } },
      mismatch,
    );
}

/**
 * Asks for the master PIN and verifies it (pin.ts audits the attempt and throttles
 * misses). Says there is no PIN before asking for one. Runs its own transactions, so call
 * it outside a trading transaction.
 */
export async function askVerifiedPin(db: Db, ask: Pick<Ask, 'pin'>, purpose: string): Promise<void> {
  if (!(await hasMasterPin(db)))
    throw new TraderError('CONFIG_INVALID', 'No master PIN is set; run `trader secrets init` first.');
  await verifyPin(db, await ask.pin(), purpose);
}
