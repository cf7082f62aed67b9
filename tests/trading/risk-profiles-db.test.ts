import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { editRiskProfile, setActiveProfile } from '../../trading/risk-profiles.ts';
import { tradingScope, tradingTx, type TradingScope } from '../../trading/scope.ts';
import { loadRiskProfile, loadState, updateState, type RiskProfileName } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

const test = tradingScope('TEST');
const live = tradingScope('LIVE');

interface AuditRowLite {
  mode: string;
  actor: string;
  action_type: string;
  status: string;
  risk_profile: string | null;
  entity_type: string | null;
  entity_id: string | null;
  details: Record<string, unknown>;
}

describe.each(backends)('risk profile changes (%s)', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(async () => db?.dispose());

  const audit = () =>
    db.query<AuditRowLite>(
      'select mode, actor, action_type, status, risk_profile, entity_type, entity_id, details from audit_trail order by seq',
    );
  const state = (scope: TradingScope = test) => tradingTx(db, scope, (tx) => loadState(tx, scope));
  const profile = (name: RiskProfileName, scope: TradingScope = test) =>
    tradingTx(db, scope, (tx) => loadRiskProfile(tx, scope, name));
  /** High active, leverage allowed in its profile and activated in the state. */
  async function leverageActive(): Promise<void> {
    await setActiveProfile(db, test, 'high', { confirmed: true });
    await editRiskProfile(db, test, 'high', { allow_leverage: true }, { confirmed: true });
    await tradingTx(db, test, (tx) =>
      updateState(tx, test, { leverage_enabled: true, leverage_enabled_at: new Date() }),
    );
  }
  async function rejected(p: Promise<unknown>, message: RegExp): Promise<TraderError> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(TraderError);
    expect((e as TraderError).code).toBe('BAD_INPUT');
    expect((e as TraderError).message).toMatch(message);
    return e as TraderError;
  }

  it('raising the active profile needs confirmation; unconfirmed, nothing is written', async () => {
    await rejected(
      setActiveProfile(db, test, 'high', { confirmed: false }),
      /^Raising the risk profile from medium to high needs confirmation; run it in a terminal or add --yes\.$/,
    );
    expect((await state()).risk_profile).toBe('medium');
    expect(await audit()).toEqual([]);

    expect(await setActiveProfile(db, test, 'high', { confirmed: true })).toEqual({
      from: 'medium',
      to: 'high',
      changed: true,
      leverage_disabled: false,
    });
    expect((await state()).risk_profile).toBe('high');
    expect(await audit()).toEqual([
      {
        mode: 'TEST',
        actor: 'USER',
        action_type: 'RISK_PROFILE_CHANGED',
        status: 'SUCCESS',
        risk_profile: 'high',
        entity_type: 'risk_profile',
        entity_id: 'high',
        details: { from: 'medium', to: 'high', raise: true, confirmed: true, leverage_disabled: false },
      },
    ]);
  });

  it('lowering needs no confirmation; choosing the active profile changes nothing and is audited as INFO', async () => {
    expect(await setActiveProfile(db, test, 'low', { confirmed: false })).toMatchObject({
      from: 'medium',
      to: 'low',
      changed: true,
    });
    expect(await setActiveProfile(db, test, 'low', { confirmed: false })).toEqual({
      from: 'low',
      to: 'low',
      changed: false,
      leverage_disabled: false,
    });
    expect((await audit()).map((r) => [r.action_type, r.status, r.risk_profile])).toEqual([
      ['RISK_PROFILE_CHANGED', 'SUCCESS', 'low'],
      ['RISK_PROFILE_CHANGE', 'INFO', 'low'],
    ]);
  });

  it('leaving high switches active leverage off in the same change', async () => {
    await leverageActive();
    expect(await setActiveProfile(db, test, 'medium', { confirmed: false })).toEqual({
      from: 'high',
      to: 'medium',
      changed: true,
      leverage_disabled: true,
    });
    expect(await state()).toMatchObject({ risk_profile: 'medium', leverage_enabled: false, leverage_enabled_at: null });
    expect((await audit()).at(-1)).toMatchObject({
      action_type: 'RISK_PROFILE_CHANGED',
      details: { from: 'high', to: 'medium', leverage_disabled: true },
    });
  });

  it('an edit within bounds updates the row and audits the old and new values', async () => {
    const before = await state();
    const result = await editRiskProfile(
      db,
      test,
      'medium',
      { risk_per_trade_pct: 0.75, max_open_positions: 4 },
      { confirmed: false },
    );
    expect(result).toMatchObject({
      changes: [
        { field: 'risk_per_trade_pct', from: 1, to: 0.75 },
        { field: 'max_open_positions', from: 5, to: 4 },
      ],
      warnings: [],
      leverage_disabled: false,
    });
    expect(await profile('medium')).toEqual({
      profile: 'medium',
      risk_per_trade_pct: 0.75,
      max_drawdown_pct: 20,
      max_open_positions: 4,
      category_cap_pct: 3,
      allow_leverage: false,
      max_leverage: 1,
      cluster_cap_pct: null,
      cluster_min_correlation: 0.7,
      cluster_window_days: 30,
    });
    // The active profile became stricter: nothing else about the state changes.
    expect({ ...(await state()), updated_at: null }).toEqual({ ...before, updated_at: null });
    expect(await audit()).toEqual([
      {
        mode: 'TEST',
        actor: 'USER',
        action_type: 'RISK_PROFILE_EDITED',
        status: 'SUCCESS',
        risk_profile: 'medium',
        entity_type: 'risk_profile',
        entity_id: 'medium',
        details: {
          profile: 'medium',
          old: { risk_per_trade_pct: 1, max_open_positions: 5 },
          new: { risk_per_trade_pct: 0.75, max_open_positions: 4 },
          warnings: [],
          confirmed: false,
          leverage_disabled: false,
        },
      },
    ]);
  });

  it('an out-of-bounds edit is refused with every problem and writes nothing', async () => {
    const e = await rejected(
      editRiskProfile(
        db,
        test,
        'low',
        { risk_per_trade_pct: 0.8, max_drawdown_pct: 12, allow_leverage: true },
        { confirmed: true },
      ),
      /^The low profile was not changed: risk_per_trade_pct must be between 0\.1 and 0\.5 in the low profile, not 0\.8; max_drawdown_pct must be between 2 and 10 in the low profile, not 12; allow_leverage can only be true in the high profile \(low never uses leverage\)\.$/,
    );
    expect(e.details).toHaveLength(3);
    expect(await profile('low')).toMatchObject({
      risk_per_trade_pct: 0.5,
      max_drawdown_pct: 10,
      allow_leverage: false,
    });
    expect(await audit()).toEqual([]);
  });

  it('values that need confirmation are refused unless confirmed', async () => {
    await rejected(
      editRiskProfile(db, test, 'high', { risk_per_trade_pct: 2.8 }, { confirmed: false }),
      /^This edit of the high profile needs confirmation/,
    );
    expect((await profile('high')).risk_per_trade_pct).toBe(2);
    const done = await editRiskProfile(db, test, 'high', { risk_per_trade_pct: 2.8 }, { confirmed: true });
    expect(done.warnings).toHaveLength(1);
    expect((await profile('high')).risk_per_trade_pct).toBe(2.8);
    expect((await audit())[0]).toMatchObject({
      action_type: 'RISK_PROFILE_EDITED',
      risk_profile: 'medium',
      details: { confirmed: true, warnings: done.warnings },
    });
  });

  it('turning allow_leverage off on high also turns active leverage off', async () => {
    await leverageActive();
    const result = await editRiskProfile(db, test, 'high', { allow_leverage: false }, { confirmed: false });
    expect(result.leverage_disabled).toBe(true);
    expect(await state()).toMatchObject({ risk_profile: 'high', leverage_enabled: false, leverage_enabled_at: null });
    expect((await audit()).at(-1)).toMatchObject({
      action_type: 'RISK_PROFILE_EDITED',
      details: { old: { allow_leverage: true }, new: { allow_leverage: false }, leverage_disabled: true },
    });
  });

  it('a stricter edit of high while leverage is active leaves leverage on', async () => {
    await leverageActive();
    await editRiskProfile(db, test, 'high', { max_leverage: 2, risk_per_trade_pct: 1.5 }, { confirmed: false });
    expect(await state()).toMatchObject({ risk_profile: 'high', leverage_enabled: true });
  });

  it('an edit that changes no value reports no change and is audited as INFO', async () => {
    const result = await editRiskProfile(db, test, 'medium', { risk_per_trade_pct: 1 }, { confirmed: false });
    expect(result.changes).toEqual([]);
    expect((await audit()).map((r) => [r.action_type, r.status])).toEqual([['RISK_PROFILE_EDIT', 'INFO']]);
  });

  it('a LIVE edit and switch touch only LIVE rows and are audited in LIVE mode', async () => {
    await editRiskProfile(db, live, 'low', { risk_per_trade_pct: 0.2 }, { confirmed: false });
    await setActiveProfile(db, live, 'low', { confirmed: false });
    expect((await profile('low', live)).risk_per_trade_pct).toBe(0.2);
    expect((await profile('low', test)).risk_per_trade_pct).toBe(0.5);
    expect([(await state(live)).risk_profile, (await state(test)).risk_profile]).toEqual(['low', 'medium']);
    expect((await audit()).map((r) => r.mode)).toEqual(['LIVE', 'LIVE']);
  });
});
