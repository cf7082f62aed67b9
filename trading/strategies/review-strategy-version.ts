import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import {
  askVerifiedPin,
  confirmOrRefuse,
  refusedOnError,
  refuseUserAction,
  type Ask,
} from '../governance/user-action.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { loadState } from '../state-repo.ts';
import { listVersions, setVersionStatus, type StrategyVersionRow } from './strategy-versions.ts';

export interface VersionReview {
  strategyId: string;
  verb: 'approve' | 'reject';
  note: string | null;
  /** Who decides (the CLI's user, an HTTP token's name), kept with the status and in the audit row. */
  by: string;
}

/** The pending proposal of a strategy, with the version active now to compare it with. */
export async function pendingProposal(
  db: Db,
  scope: TradingScope,
  strategyId: string,
): Promise<{ proposed: StrategyVersionRow | undefined; active: StrategyVersionRow | undefined }> {
  return tradingTx(db, scope, async (tx) => ({
    proposed: (await listVersions(tx, scope, { strategyId, status: 'PROPOSED' }))[0],
    active: (await listVersions(tx, scope, { strategyId, status: 'ACTIVE' }))[0],
  }));
}

/** What a reviewer is asked: the proposal next to what trades now, parameter by parameter. */
export function comparison(proposed: StrategyVersionRow, active: StrategyVersionRow | undefined): string {
  const lines = [
    `Strategy ${proposed.strategy_id}: version ${proposed.version} proposed by study ${proposed.study_id ?? 'n/a'}`,
  ];
  const now = active ? `version ${active.version}` : 'the configured parameters';
  for (const [module, params] of Object.entries(proposed.params))
    for (const [k, v] of Object.entries(params)) {
      const before = active?.params[module]?.[k];
      lines.push(
        `  ${module}.${k}: ${before === undefined ? `(${now})` : JSON.stringify(before)} -> ${JSON.stringify(v)}`,
      );
    }
  lines.push(`  suits risk profiles: ${proposed.suitable_risk_profiles.join(', ')}`);
  if (proposed.markets?.length) lines.push(`  markets assigned to it on approval: ${proposed.markets.join(', ')}`);
  return lines.join('\n');
}

/**
 * Approves or rejects a strategy's pending proposal, once for every adapter. The reviewer
 * sees it next to what trades now and confirms; approving in LIVE asks for the master PIN,
 * because from the next run real orders follow the new parameters. Approval activates the
 * version and retires the one it replaces; rejection leaves the active one trading. Every
 * outcome, refusals included, is audited as the user's.
 */
export async function reviewStrategyVersion(
  db: Db,
  scope: TradingScope,
  r: VersionReview,
  ask: Ask,
): Promise<StrategyVersionRow> {
  const { risk_profile } = await tradingTx(db, scope, (tx) => loadState(tx, scope));
  const audit = { action_type: 'STRATEGY_PROPOSAL_REVIEWED', details: { strategy_id: r.strategyId, verb: r.verb } };
  const { proposed, active } = await pendingProposal(db, scope, r.strategyId);
  if (!proposed)
    await refuseUserAction(
      db,
      scope,
      risk_profile,
      { ...audit, status: 'FAILURE' },
      new TraderError(
        'NOT_FOUND',
        `Strategy ${r.strategyId} has no pending proposal in ${scope.mode}; \`trader strategy proposals list\` shows them.`,
      ),
    );
  const version = proposed!.version;
  const details = { ...audit.details, version };
  await confirmOrRefuse(
    db,
    scope,
    risk_profile,
    ask,
    `${comparison(proposed!, active)}\n${r.verb === 'approve' ? 'Approve and trade' : 'Reject'} version ${version}?`,
    { ...audit, details },
    new TraderError('BAD_INPUT', `You did not confirm; version ${version} of ${r.strategyId} is still proposed.`),
  );
  if (r.verb === 'approve' && scope.mode === 'LIVE')
    await refusedOnError(db, scope, risk_profile, { ...audit, details }, () =>
      askVerifiedPin(db, ask, `activate strategy ${r.strategyId} version ${version}`),
    );
  return tradingTx(db, scope, async (tx) => {
    const [still] = await listVersions(tx, scope, { strategyId: r.strategyId, status: 'PROPOSED' });
    if (still?.version !== version)
      throw new TraderError(
        'BAD_INPUT',
        `Version ${version} of ${r.strategyId} was decided or superseded meanwhile; nothing changed.`,
      );
    const assigned =
      r.verb === 'approve'
        ? await setVersionStatus(tx, scope, {
            strategy_id: r.strategyId,
            version,
            status: 'ACTIVE',
            by: r.by,
            note: r.note,
          })
        : undefined;
    if (r.verb === 'reject')
      await tx.query(
        `update ${scope.table('strategy_status')} set status = 'REJECTED', decided_at = now(), decided_by = $3, note = $4
         where strategy_id = $1 and version = $2`,
        [r.strategyId, version, r.by, r.note],
      );
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'USER',
      action_type: audit.action_type,
      status: r.verb === 'approve' ? 'APPROVED' : 'REJECTED',
      risk_profile,
      details: {
        ...details,
        by: r.by,
        note: r.note,
        replaced: r.verb === 'approve' ? (active?.version ?? null) : null,
        assigned_markets: assigned?.assigned ?? [],
      },
      entity_type: 'strategy_version',
      entity_id: `${r.strategyId}@${version}`,
    });
    return (await listVersions(tx, scope, { strategyId: r.strategyId })).find((v) => v.version === version)!;
  });
}
