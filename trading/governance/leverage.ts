import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { loadRiskProfile, loadState, type RiskProfile, type TradingState, updateState } from '../state-repo.ts';
import { askVerifiedPin, auditUserAction, refuseUserAction, typedPhraseOrRefuse, type Ask } from './user-action.ts';

/** Seed: the user types this exact phrase after reading the warning. */
export const leveragePhrase = 'CONFIRM LEVERAGE';

export function leverageWarning(maxLeverage: number): string {
  return [
    '!!! EXTREME RISK WARNING: LEVERAGE !!!',
    `Leverage up to ${maxLeverage}x means borrowing: a position worth ${maxLeverage} times its margin.`,
    `A price move of about ${(100 / maxLeverage).toFixed(0)}% against a ${maxLeverage}x position wipes out its margin, and the exchange LIQUIDATES it.`,
    'Gaps, fees and funding can make losses larger than the margin you put up.',
    'Backtests cannot model liquidation cascades or funding rates: treat every leveraged backtest result with extreme skepticism.',
    'Never trade with leverage money you cannot afford to lose.',
  ].join('\n');
}

export type LeverageStage = 'profile' | 'allow_leverage' | 'phrase' | 'pin';

/** The stages that depend only on configuration, checked before and again after the user is asked. */
function configRefusal(
  state: TradingState,
  high: RiskProfile,
): { stage: LeverageStage; error: TraderError } | undefined {
  if (state.risk_profile !== 'high') {
    return {
      stage: 'profile',
      error: new TraderError(
        'CONFIG_INVALID',
        `Leverage is only available in the high risk profile (active: ${state.risk_profile}); switch with \`trader risk set high\` first.`,
      ),
    };
  }
  if (!high.allow_leverage) {
    return {
      stage: 'allow_leverage',
      error: new TraderError(
        'CONFIG_INVALID',
        'The high risk profile does not allow leverage; run `trader risk edit high --allow-leverage true` first.',
      ),
    };
  }
  return undefined;
}

export interface LeverageChange {
  changed: boolean;
  max_leverage: number;
  state: TradingState;
}

/**
 * Multi-stage leverage activation (seed: Leverage Activation Security), in this order:
 * the active profile is high; the high profile allows leverage; the user types
 * CONFIRM LEVERAGE after the warning; the master PIN verifies. Each failed stage is
 * audited as LEVERAGE_ENABLE_ATTEMPT (FAILURE, with the stage) and throws one clear error.
 */
export async function enableLeverage(
  db: Db,
  scope: TradingScope,
  ask: Pick<Ask, 'phrase' | 'pin'>,
): Promise<LeverageChange> {
  const load = () =>
    tradingTx(db, scope, async (tx) => ({
      state: await loadState(tx, scope),
      high: await loadRiskProfile(tx, scope, 'high'),
    }));
  const { state, high } = await load();
  const fail = (stage: LeverageStage, error: TraderError) =>
    refuseUserAction(
      db,
      scope,
      state.risk_profile,
      { action_type: 'LEVERAGE_ENABLE_ATTEMPT', status: 'FAILURE', details: { stage } },
      error,
    );

  const refusal = configRefusal(state, high);
  if (refusal) await fail(refusal.stage, refusal.error);
  if (state.leverage_enabled) {
    await tradingTx(db, scope, (tx) =>
      auditUserAction(tx, scope, state.risk_profile, 'LEVERAGE_ENABLE_ATTEMPT', 'INFO', { already_enabled: true }),
    );
    return { changed: false, max_leverage: high.max_leverage, state };
  }

  await typedPhraseOrRefuse(
    db,
    scope,
    state.risk_profile,
    ask,
    { warning: leverageWarning(high.max_leverage), phrase: leveragePhrase },
    { action_type: 'LEVERAGE_ENABLE_ATTEMPT', details: { stage: 'phrase' } },
    new TraderError(
      'BAD_INPUT',
      `The phrase did not match; type ${leveragePhrase} exactly to enable leverage. Leverage stays off.`,
    ),
  );
  try {
    await askVerifiedPin(db, ask, 'enable leverage');
  } catch (e) {
    if (e instanceof TraderError) await fail('pin', e);
    throw e;
  }

  return tradingTx(db, scope, async (tx) => {
    const current = await loadState(tx, scope, { forUpdate: true });
    const profile = await loadRiskProfile(tx, scope, 'high');
    // The profile or its allow_leverage may have changed while the user typed.
    const late = configRefusal(current, profile);
    if (late) throw late.error;
    const next = await updateState(tx, scope, { leverage_enabled: true, leverage_enabled_at: new Date() });
    await auditUserAction(tx, scope, current.risk_profile, 'LEVERAGE_ENABLED', 'SUCCESS', {
      max_leverage: profile.max_leverage,
      confirmation_text: leveragePhrase,
    });
    return { changed: true, max_leverage: profile.max_leverage, state: next };
  });
}

/** Turns leverage off: one command, no PIN (lowering risk is never made hard). Audited as LEVERAGE_DISABLED. */
export async function disableLeverage(db: Db, scope: TradingScope): Promise<LeverageChange> {
  return tradingTx(db, scope, async (tx) => {
    const current = await loadState(tx, scope, { forUpdate: true });
    const { max_leverage } = await loadRiskProfile(tx, scope, 'high');
    const state = current.leverage_enabled
      ? await updateState(tx, scope, { leverage_enabled: false, leverage_enabled_at: null })
      : current;
    await auditUserAction(
      tx,
      scope,
      current.risk_profile,
      'LEVERAGE_DISABLED',
      current.leverage_enabled ? 'SUCCESS' : 'INFO',
      { was_enabled: current.leverage_enabled },
    );
    return { changed: current.leverage_enabled, max_leverage, state };
  });
}
