import { logger } from '../../core/logger.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { applyDrawdownHalt } from '../governance/emergency-halt.ts';
import { monitorPositions } from '../paper/position-monitor.ts';
import { markToMarket } from '../portfolio.ts';
import { expireDueProposals } from '../proposals/proposals-repo.ts';
import { type TradingScope, tradingTx } from '../scope.ts';
import { loadRiskProfile, loadState, type RiskProfile, type TradingState } from '../state-repo.ts';

export interface TradingPrelude {
  state: TradingState;
  /** The active risk profile's parameters. */
  profile: RiskProfile;
  fills: number;
  expired_proposals: number;
  emergency_halt: boolean;
}

/**
 * What happens to the account before a run decides anything, in one transaction as the
 * mode's role: expire stale proposals, let open positions meet their stops and targets
 * on the candles closed since they were last checked, mark the account to market, and
 * trigger the emergency halt if the drawdown passed the profile's limit. In LIVE the
 * exchange did the fills and the run's reconciliation, committed just before, computed
 * equity and drawdown from the exchange's balances: the halt judges that figure, and its
 * exchange action follows once this commits (engine/run/live-run.ts).
 */
export async function prepareTrading(db: Db, scope: TradingScope, asOf: Date, run_id: string): Promise<TradingPrelude> {
  return tradingTx(db, scope, async (tx) => {
    const expired = await expireDueProposals(tx, scope);
    const paper = scope.mode === 'TEST';
    const fills = paper ? await monitorPositions(tx, scope, asOf, run_id) : [];
    if (paper) await markToMarket(tx, scope, asOf);
    const halt = await applyDrawdownHalt(tx, scope, asOf, run_id);
    const state = await loadState(tx, scope);
    const profile = await loadRiskProfile(tx, scope, state.risk_profile);
    if (fills.length > 0)
      logger.info(
        { run_id, mode: scope.mode, fills: fills.length },
        'stops and take-profits filled since the last run',
      );
    if (halt.triggered)
      logger.warn(
        { run_id, mode: scope.mode, drawdown_pct: state.drawdown_pct },
        'EMERGENCY HALT: drawdown beyond the risk profile limit',
      );
    if (expired.length > 0) {
      await recordAudit(tx, {
        mode: scope.mode,
        actor: 'SYSTEM',
        action_type: 'PROPOSALS_EXPIRED',
        status: 'INFO',
        risk_profile: state.risk_profile,
        details: { proposal_ids: expired, run_id },
      });
    }
    return { state, profile, fills: fills.length, expired_proposals: expired.length, emergency_halt: halt.triggered };
  });
}
