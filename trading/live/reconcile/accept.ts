import { TraderError } from '../../../core/errors.ts';
import type { Db, Queryable } from '../../../store/db.ts';
import { type Ask, auditUserAction, confirmOrRefuse } from '../../governance/user-action.ts';
import type { LiveKeys } from '../../live-account/unlock.ts';
import { tradingTx } from '../../scope.ts';
import { loadState, updateState } from '../../state-repo.ts';
import type { ExchangePort } from '../exchange-port.ts';
import { isReconciliationHalt } from './halt-reason.ts';
import { type ReconcileOptions, reconcileAccount, type ReconcileReport } from './reconcile.ts';
import { acceptDifferences, live, openDifferences } from './reconcile-repo.ts';
import { auditRowChanges, rowImage } from './row-changes.ts';

/**
 * `trader reconcile --accept`: the user resolves unexplained differences by declaring the
 * exchange right. Needs the master PIN in this process (keys opened with it, not with the
 * key file: an unattended process can never accept), runs a fresh cycle first so what is
 * accepted is the exchange as it is now, shows every open difference and asks; then, in one
 * transaction: the wallets take the exchange's balances (each change audited), the
 * differences are stamped accepted, the reconciliation halt is lifted, audited
 * RECONCILIATION_ACCEPTED. Open positions are left as they are: a withdrawal of a coin a
 * position holds is for the user to settle (`trader positions`).
 */

export interface AcceptResult {
  report: ReconcileReport;
  accepted: number[];
  /** False when there was nothing to accept. */
  changed: boolean;
}

function notByPin(): TraderError {
  return new TraderError(
    'BAD_INPUT',
    'Accepting differences needs the master PIN; the key file cannot accept a reconciliation.',
  );
}

export async function acceptReconciliation(
  db: Db,
  port: ExchangePort,
  o: { keys: LiveKeys; ask: Pick<Ask, 'confirm'>; options?: ReconcileOptions },
): Promise<AcceptResult> {
  if (o.keys.via !== 'pin') throw notByPin();
  const report = await reconcileAccount(db, port, o.options);
  if (report.outcome === 'unreachable')
    throw new TraderError(
      'TRANSIENT',
      `${port.exchange} could not be reached, so nothing can be accepted against it now; try again later.`,
    );
  const open = await tradingTx(db, live, (tx) => openDifferences(tx, port.exchange));
  const state = await tradingTx(db, live, (tx) => loadState(tx, live));
  const haltedByUs = isReconciliationHalt(state.halt_reason);
  if (open.length === 0 && !haltedByUs) return { report, accepted: [], changed: false };
  const warning = [
    `Accept ${open.length} unexplained difference(s) with ${port.exchange}? The database takes the exchange's balances as they are now:`,
    ...open.map((d) => `  - ${d.detail}`),
    'LIVE trading resumes afterwards (in its current mode).',
  ].join('\n');
  await confirmOrRefuse(
    db,
    live,
    state.risk_profile,
    o.ask,
    warning,
    { action_type: 'RECONCILIATION_ACCEPTED', details: { differences: open.map((d) => d.difference_id) } },
    new TraderError('BAD_INPUT', 'You did not accept the differences; LIVE trading stays halted.'),
  );
  return tradingTx(db, live, async (tx) => {
    const assets = [...new Set([...Object.keys(report.balances), ...(await walletAssets(tx))])];
    const before = await rowImage(tx, 'wallets', assets);
    for (const asset of assets)
      await tx.query(
        `insert into ${live.table('wallets')} (asset, balance) values ($1, $2)
         on conflict (asset) do update set balance = excluded.balance, updated_at = now()`,
        [asset, report.balances[asset] ?? 0],
      );
    await auditRowChanges(tx, report.cycle_id, 'wallets', before, await rowImage(tx, 'wallets', assets));
    const accepted = await acceptDifferences(tx, port.exchange);
    const current = await loadState(tx, live, { forUpdate: true });
    if (isReconciliationHalt(current.halt_reason))
      await updateState(tx, live, { halted: false, halt_reason: null, halted_at: null });
    await auditUserAction(tx, live, current.risk_profile, 'RECONCILIATION_ACCEPTED', 'SUCCESS', {
      exchange: port.exchange,
      cycle_id: report.cycle_id,
      accepted,
      halt_lifted: current.halt_reason,
    });
    return { report, accepted, changed: true };
  });
}

async function walletAssets(tx: Queryable): Promise<string[]> {
  const rows = await tx.query<{ asset: string }>(`select asset from ${live.table('wallets')}`);
  return rows.map((r) => r.asset);
}
