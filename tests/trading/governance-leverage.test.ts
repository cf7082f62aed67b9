import { afterEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../store/db.ts';
import { disableLeverage, enableLeverage } from '../../trading/governance/leverage.ts';
import type { Ask } from '../../trading/governance/user-action.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { loadState } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';

/** Multi-stage leverage activation: every failed stage audited, in order, on both backends. */

const scope = tradingScope('TEST');
const PIN = 'pin123456';

function answers(a: { phrase?: string; pin?: string } = {}) {
  const asked: string[] = [];
  const ask: Pick<Ask, 'phrase' | 'pin'> = {
    phrase: async (warning) => (asked.push(warning), a.phrase ?? 'CONFIRM LEVERAGE'),
    pin: async () => (asked.push('pin'), a.pin ?? PIN),
  };
  return { ask, asked };
}

describe.each(backends)('governance: leverage on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const tx = <T>(fn: (t: Queryable) => Promise<T>) => tradingTx(db, scope, fn);
  const leverage = async () => (await tx((t) => loadState(t, scope))).leverage_enabled;
  const attempts = async () =>
    (
      await db.query<{ action_type: string; status: string; details: { stage?: string } }>(
        `select action_type, status, details from audit_trail where mode = 'TEST' order by seq`,
      )
    ).map((a) => [a.action_type, a.status, a.details.stage ?? null]);

  it('checks profile, allow_leverage, phrase and PIN in that order, auditing each failure; then enables', async () => {
    db = await freshDb(kind);
    await initPin(db, PIN);

    const notHigh = answers();
    await expectTraderError(
      enableLeverage(db, scope, notHigh.ask),
      'CONFIG_INVALID',
      /only available in the high risk profile \(active: medium\)/,
    );
    expect(notHigh.asked).toEqual([]);

    await tx((t) => t.query(`update trading_test.state set risk_profile = 'high'`));
    await expectTraderError(
      enableLeverage(db, scope, answers().ask),
      'CONFIG_INVALID',
      /trader risk edit high --allow-leverage true/,
    );

    await tx((t) => t.query(`update trading_test.risk_profiles set allow_leverage = true where profile = 'high'`));
    const wrongPhrase = answers({ phrase: 'confirm leverage' });
    await expectTraderError(enableLeverage(db, scope, wrongPhrase.ask), 'BAD_INPUT', /type CONFIRM LEVERAGE exactly/);
    expect(wrongPhrase.asked).toHaveLength(1);
    expect(wrongPhrase.asked[0]).toMatch(
      /EXTREME RISK WARNING[\s\S]*LIQUIDATES[\s\S]*larger than the margin[\s\S]*liquidation cascades or funding/,
    );

    await expectTraderError(
      enableLeverage(db, scope, answers({ pin: 'not-the-pin' }).ask),
      'BAD_INPUT',
      /^Wrong PIN\.$/,
    );
    expect(await leverage()).toBe(false);

    const r = await enableLeverage(db, scope, answers().ask);
    expect(r).toMatchObject({ changed: true, max_leverage: 3, state: { leverage_enabled: true } });
    expect(r.state.leverage_enabled_at).toBeInstanceOf(Date);
    expect(await attempts()).toEqual([
      ['LEVERAGE_ENABLE_ATTEMPT', 'FAILURE', 'profile'],
      ['LEVERAGE_ENABLE_ATTEMPT', 'FAILURE', 'allow_leverage'],
      ['LEVERAGE_ENABLE_ATTEMPT', 'FAILURE', 'phrase'],
      ['LEVERAGE_ENABLE_ATTEMPT', 'FAILURE', 'pin'],
      ['LEVERAGE_ENABLED', 'SUCCESS', null],
    ]);
    const [enabled] = await db.query<{ actor: string; details: unknown }>(
      `select actor, details from audit_trail where action_type = 'LEVERAGE_ENABLED'`,
    );
    expect(enabled).toEqual({ actor: 'USER', details: { max_leverage: 3, confirmation_text: 'CONFIRM LEVERAGE' } });
  });

  it('disables in one step without a PIN; the database refuses leverage outside the high profile', async () => {
    db = await freshDb(kind);
    await tx((t) => t.query(`update trading_test.risk_profiles set allow_leverage = true where profile = 'high'`));
    await tx((t) =>
      t.query(
        `update trading_test.state set risk_profile = 'high', leverage_enabled = true, leverage_enabled_at = now()`,
      ),
    );
    await expect(tx((t) => t.query(`update trading_test.state set risk_profile = 'medium'`))).rejects.toThrow(
      /check constraint/,
    );
    const r = await disableLeverage(db, scope);
    expect(r).toMatchObject({ changed: true, state: { leverage_enabled: false, leverage_enabled_at: null } });
    expect((await disableLeverage(db, scope)).changed).toBe(false);
    expect(await attempts()).toEqual([
      ['LEVERAGE_DISABLED', 'SUCCESS', null],
      ['LEVERAGE_DISABLED', 'INFO', null],
    ]);
  });
});
