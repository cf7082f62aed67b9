import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { isRaise, raiseWarning, setActiveProfile } from '../risk-profiles.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { loadRiskProfiles, loadState, type RiskProfileName } from '../state-repo.ts';
import { confirmOrRefuse, type Ask } from './user-action.ts';

/**
 * A user's switch of the active risk profile, for every adapter (CLI, dashboard): raising
 * it shows what it means for losses and asks; every outcome is audited with actor USER.
 */
export async function changeRiskProfile(
  db: Db,
  scope: TradingScope,
  to: RiskProfileName,
  ask: Pick<Ask, 'confirm'>,
): ReturnType<typeof setActiveProfile> {
  const { state, profiles } = await tradingTx(db, scope, async (tx) => ({
    state: await loadState(tx, scope),
    profiles: await loadRiskProfiles(tx, scope),
  }));
  const from = state.risk_profile;
  const raise = isRaise(from, to);
  if (raise) {
    const byName = (name: RiskProfileName) => profiles.find((p) => p.profile === name)!;
    const warning = raiseWarning(byName(from), byName(to));
    await confirmOrRefuse(
      db,
      scope,
      from,
      ask,
      `${warning}\nSwitch to the ${to} profile?`,
      { action_type: 'RISK_PROFILE_CHANGE', details: { from, to, warning } },
      new TraderError('BAD_INPUT', `You did not confirm; the ${from} profile stays active.`),
    );
  }
  return setActiveProfile(db, scope, to, { confirmed: raise });
}
