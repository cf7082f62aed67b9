import { afterEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../store/db.ts';
import { setHaltAction } from '../../trading/governance/halt-action.ts';
import { clearEmergencyHalt, haltTrading, resumeTrading } from '../../trading/governance/halt.ts';
import { parseOperationalMode, setOperationalMode } from '../../trading/governance/operational-mode.ts';
import type { Ask } from '../../trading/governance/user-action.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { loadState } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';

/** Mode changes, manual halt and resume, the emergency halt's reset and the halt action, on both backends. */

const scope = tradingScope('TEST');
const PIN = 'pin123456';

/** Answers the questions and records which were asked. */
function answers(a: { confirm?: boolean; phrase?: string; pin?: string } = {}) {
  const asked: string[] = [];
  const ask: Ask = {
    confirm: async (warning) => (asked.push(`confirm: ${warning}`), a.confirm ?? true),
    phrase: async (_warning, phrase) => (asked.push(`phrase: ${phrase}`), a.phrase ?? phrase),
    pin: async () => (asked.push('pin'), a.pin ?? PIN),
  };
  return { ask, asked };
}

it('reads both spellings of a mode and names the valid ones otherwise', () => {
  expect(parseOperationalMode('semi-auto')).toBe('semi_auto');
  expect(parseOperationalMode('FULL_AUTO')).toBe('full_auto');
  expect(() => parseOperationalMode('turbo')).toThrow(/Unknown mode 'turbo'; use observe, semi_auto or full_auto\./);
});

describe.each(backends)('governance: modes and halts on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const tx = <T>(fn: (t: Queryable) => Promise<T>) => tradingTx(db, scope, fn);
  const state = () => tx((t) => loadState(t, scope));
  const audits = () =>
    db.query<{ mode: string; actor: string; action_type: string; status: string; details: Record<string, unknown> }>(
      'select mode, actor, action_type, status, details from audit_trail order by seq',
    );

  it('raising autonomy asks with a plain warning; lowering never asks; both audited with actor USER', async () => {
    db = await freshDb(kind);
    const up = answers();
    const r = await setOperationalMode(db, scope, 'full_auto', up.ask);
    expect(r).toMatchObject({ from: 'observe', to: 'full_auto', changed: true });
    expect(up.asked).toHaveLength(1);
    expect(up.asked[0]).toMatch(/trades are executed without asking you/);
    const down = answers();
    expect(await setOperationalMode(db, scope, 'semi_auto', down.ask)).toMatchObject({
      from: 'full_auto',
      to: 'semi_auto',
      changed: true,
    });
    expect(down.asked).toEqual([]);
    expect((await state()).operational_mode).toBe('semi_auto');
    expect(await audits()).toEqual([
      {
        mode: 'TEST',
        actor: 'USER',
        action_type: 'MODE_CHANGE',
        status: 'SUCCESS',
        details: { from: 'observe', to: 'full_auto', confirmed: true },
      },
      {
        mode: 'TEST',
        actor: 'USER',
        action_type: 'MODE_CHANGE',
        status: 'SUCCESS',
        details: { from: 'full_auto', to: 'semi_auto', confirmed: false },
      },
    ]);
  });

  it('a declined confirmation changes nothing and is audited REJECTED', async () => {
    db = await freshDb(kind);
    await expectTraderError(
      setOperationalMode(db, scope, 'semi_auto', answers({ confirm: false }).ask),
      'BAD_INPUT',
      /did not confirm the switch to semi_auto; the mode stays observe/,
    );
    expect((await state()).operational_mode).toBe('observe');
    expect(await audits()).toEqual([
      expect.objectContaining({
        actor: 'USER',
        action_type: 'MODE_CHANGE',
        status: 'REJECTED',
        details: expect.objectContaining({ from: 'observe', to: 'semi_auto', confirmation: 'declined' }),
      }),
    ]);
  });

  it('LIVE without a LIVE account refuses semi_auto and full_auto before asking, audited; observe stays allowed', async () => {
    db = await freshDb(kind);
    const live = tradingScope('LIVE');
    for (const mode of ['semi_auto', 'full_auto'] as const) {
      const a = answers();
      await expectTraderError(
        setOperationalMode(db, live, mode, a.ask),
        'CONFIG_INVALID',
        new RegExp(
          `^LIVE may only observe until a LIVE account exists; run \`trader live init\` before switching to ${mode}\\.$`,
        ),
      );
      expect(a.asked).toEqual([]);
    }
    expect(await setOperationalMode(db, live, 'observe', answers().ask)).toMatchObject({ changed: false });
    const rows = await audits();
    expect(rows.map((r) => [r.mode, r.status])).toEqual([
      ['LIVE', 'FAILURE'],
      ['LIVE', 'FAILURE'],
      ['LIVE', 'INFO'],
    ]);
    expect((await tradingTx(db, live, (t) => loadState(t, live))).operational_mode).toBe('observe');
  });

  it('halts and resumes manually, each confirmed and audited', async () => {
    db = await freshDb(kind);
    const h = await haltTrading(db, scope, 'exchange maintenance', answers().ask);
    expect(h.state).toMatchObject({ halted: true, emergency: false, halt_reason: 'MANUAL: exchange maintenance' });
    expect(h.state.halted_at).toBeInstanceOf(Date);
    // A second halt leaves the first one as it is and asks nothing.
    const again = answers();
    expect((await haltTrading(db, scope, 'other', again.ask)).changed).toBe(false);
    expect(again.asked).toEqual([]);
    await expectTraderError(
      resumeTrading(db, scope, answers({ confirm: false }).ask),
      'BAD_INPUT',
      /trading stays halted/,
    );
    expect((await state()).halted).toBe(true);
    const r = await resumeTrading(db, scope, answers().ask);
    expect(r.state).toMatchObject({ halted: false, halt_reason: null, halted_at: null });
    expect((await audits()).map((a) => [a.action_type, a.status])).toEqual([
      ['TRADING_HALTED', 'SUCCESS'],
      ['TRADING_HALTED', 'INFO'],
      ['TRADING_RESUMED', 'REJECTED'],
      ['TRADING_RESUMED', 'SUCCESS'],
    ]);
  });

  it('resume refuses an emergency halt; halt clear needs the right PIN, then the mode is observe', async () => {
    db = await freshDb(kind);
    await initPin(db, PIN);
    await tx((t) =>
      t.query(`update trading_test.state set operational_mode = 'full_auto', halted = true, emergency = true, halt_reason = 'EMERGENCY_DRAWDOWN',
      halted_at = now(), equity = 7000, peak_equity = 10000, drawdown_pct = 30`),
    );
    const resume = answers();
    await expectTraderError(
      resumeTrading(db, scope, resume.ask),
      'HALTED',
      /^An emergency halt needs `trader halt clear` with the master PIN\.$/,
    );
    expect(resume.asked).toEqual([]);

    await expectTraderError(
      clearEmergencyHalt(db, scope, answers({ pin: 'wrong-pin' }).ask),
      'BAD_INPUT',
      /^Wrong PIN\.$/,
    );
    expect(await state()).toMatchObject({
      halted: true,
      emergency: true,
      halt_reason: 'EMERGENCY_DRAWDOWN',
      operational_mode: 'full_auto',
    });

    const cleared = await clearEmergencyHalt(db, scope, answers().ask);
    expect(cleared.state).toMatchObject({
      halted: false,
      emergency: false,
      halt_reason: 'MANUAL_RESET',
      operational_mode: 'observe',
      peak_equity: 7000,
      drawdown_pct: 0,
    });
    await expectTraderError(clearEmergencyHalt(db, scope, answers().ask), 'BAD_INPUT', /no emergency halt to clear/);

    const rows = (await audits()).filter((a) => a.action_type !== 'MASTER_PIN_SET');
    expect(rows.map((a) => [a.mode, a.action_type, a.status])).toEqual([
      ['TEST', 'TRADING_RESUMED', 'FAILURE'],
      ['SYSTEM', 'PIN_VERIFY', 'PENDING'],
      ['SYSTEM', 'PIN_VERIFY', 'FAILURE'],
      ['TEST', 'EMERGENCY_HALT_CLEARED', 'FAILURE'],
      ['SYSTEM', 'PIN_VERIFY', 'PENDING'],
      ['SYSTEM', 'PIN_VERIFY', 'SUCCESS'],
      ['TEST', 'EMERGENCY_HALT_CLEARED', 'SUCCESS'],
      ['TEST', 'EMERGENCY_HALT_CLEARED', 'FAILURE'],
    ]);
    expect(rows[3]!.details).toMatchObject({ stage: 'pin', error: 'Wrong PIN.' });
    expect(JSON.stringify(rows)).not.toContain(PIN);
  });

  it('MARKET_CLOSE_ALL_AND_HALT needs the exact acknowledgement; the other actions do not', async () => {
    db = await freshDb(kind);
    await expectTraderError(
      setHaltAction(db, scope, 'MARKET_CLOSE_ALL_AND_HALT', answers({ phrase: 'close all at market' }).ask),
      'BAD_INPUT',
      /type CLOSE ALL AT MARKET exactly/,
    );
    expect((await state()).emergency_halt_action).toBe('HALT_ONLY');
    const s = await setHaltAction(db, scope, 'MARKET_CLOSE_ALL_AND_HALT', answers().ask);
    expect(s.emergency_halt_action).toBe('MARKET_CLOSE_ALL_AND_HALT');
    expect(s.close_all_acknowledged_at).toBeInstanceOf(Date);
    const plain = answers();
    const c = await setHaltAction(db, scope, 'CANCEL_ORDERS_AND_HALT', plain.ask);
    expect(c).toMatchObject({ emergency_halt_action: 'CANCEL_ORDERS_AND_HALT', close_all_acknowledged_at: null });
    expect(plain.asked).toEqual([]);
    // The database itself refuses close-all without an acknowledgement.
    await expect(
      tx((t) => t.query(`update trading_test.state set emergency_halt_action = 'MARKET_CLOSE_ALL_AND_HALT'`)),
    ).rejects.toThrow(/check constraint/);
    expect((await audits()).map((a) => [a.action_type, a.status, a.details.to])).toEqual([
      ['HALT_ACTION_CHANGED', 'FAILURE', 'MARKET_CLOSE_ALL_AND_HALT'],
      ['HALT_ACTION_CHANGED', 'SUCCESS', 'MARKET_CLOSE_ALL_AND_HALT'],
      ['HALT_ACTION_CHANGED', 'SUCCESS', 'CANCEL_ORDERS_AND_HALT'],
    ]);
  });
});
