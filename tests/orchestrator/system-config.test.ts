import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { packageRoot } from '../../core/paths.ts';
import { applyDocument, exportDocument } from '../../orchestrator/config-files/apply-document.ts';
import { systemTarget } from '../../orchestrator/config-files/system-target.ts';
import { searchAudit } from '../../trading/audit/audit-query.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { updateState } from '../../trading/state-repo.ts';
import { answering, configFingerprint, neverAsked, yamlData } from '../helpers/config-files.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { seededDb } from '../helpers/pipeline.ts';

const scope = tradingScope('TEST');
const target = systemTarget(scope);
const quiet = () => {};
const example = () => yamlData(fs.readFileSync(path.join(packageRoot, 'config.example.yaml'), 'utf8'));

describe.each(backends)('the configuration file on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await seededDb(kind);
  });
  afterEach(async () => db.dispose());

  const refusal = (file: unknown) =>
    applyDocument(db, target, file, { ask: neverAsked, show: quiet }).then(
      () => expect.fail('the file should have been refused'),
      (e: unknown) => e as TraderError,
    );

  it('export then apply is "nothing to apply"', async () => {
    const before = await configFingerprint(db);
    const { text } = await exportDocument(db, target, 'TEST');
    expect(text).toMatch(/^# trader configuration of the TEST system mode/);
    const r = await applyDocument(db, target, yamlData(text), { ask: neverAsked, show: quiet });
    expect(r).toMatchObject({ name: 'TEST', changed: false });
    expect(await configFingerprint(db)).toBe(before);
  });

  it('applies config.example.yaml: shown, confirmed, written, versioned, audited; then nothing to apply', async () => {
    await updateStateAs({ risk_profile: 'low' });
    const shown: { diff: string; warnings: string[] }[] = [];
    const ask = answering(true);
    const r = await applyDocument(db, target, example(), {
      ask,
      show: (diff, warnings) => shown.push({ diff, warnings }),
    });
    expect(r).toMatchObject({ changed: true, version: 2 });
    expect(ask.asked).toEqual(['Apply this change to configuration TEST?']);
    expect(shown[0]!.diff).toContain('-   risk_profile: low');
    expect(shown[0]!.diff).toContain('+   risk_profile: medium');
    expect(shown[0]!.diff).toContain('+   BTC/USDT:');
    // Raising the profile shows what it means for losses before the question, as `risk set` does.
    expect(shown[0]!.warnings[0]).toMatch(/^Switching from low to medium lets each trade lose up to 1% of equity/);
    const markets = await db.query('select symbol, strategy_id, is_active from asset_config order by symbol');
    expect(markets).toEqual([
      { symbol: 'BTC/USDT', strategy_id: 'breakout', is_active: true },
      { symbol: 'ETH/USDT', strategy_id: null, is_active: true },
    ]);
    const [state] = await db.query<{ risk_profile: string }>('select risk_profile from trading_test.state');
    expect(state!.risk_profile).toBe('medium');
    const [audit] = await searchAudit(db, { limit: 1 });
    expect(audit).toMatchObject({ mode: 'TEST', actor: 'USER', action_type: 'CONFIG_APPLIED', status: 'SUCCESS' });
    expect(audit!.details.changes).toEqual(
      expect.arrayContaining([
        { path: 'system.risk_profile', from: 'low', to: 'medium' },
        { path: 'markets.BTC/USDT', from: null, to: expect.objectContaining({ strategy: 'breakout' }) },
      ]),
    );
    const versions = await db.query<{ version: number; source: string }>(
      "select version, source from config_versions where kind = 'config' and name = 'TEST' order by version",
    );
    expect(versions.map((v) => v.source)).toEqual(['found', 'applied']);
    expect((await applyDocument(db, target, example(), { ask: neverAsked, show: quiet })).changed).toBe(false);
  });

  /** Sets state columns as the TEST role, the way the trading commands do. */
  async function updateStateAs(patch: Parameters<typeof updateState>[2]) {
    await tradingTx(db, scope, (tx) => updateState(tx, scope, patch));
  }

  it('refuses what the CLI guards with more than a yes, naming the command, and writes nothing', async () => {
    const before = await configFingerprint(db);
    const e = await refusal({
      system: { operational_mode: 'full_auto', emergency_halt_action: 'MARKET_CLOSE_ALL_AND_HALT' },
      leverage: { active: true },
    });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/^The configuration file for TEST was refused, nothing was changed: 3 problems:/);
    expect(e.message).toContain(
      'raising autonomy from observe to full_auto is not done by a file; run `trader mode set full_auto`',
    );
    expect(e.message).toContain('run `trader halt action MARKET_CLOSE_ALL_AND_HALT`');
    expect(e.message).toContain('run `trader leverage enable`');
    const live = await refusal({ system_mode: 'LIVE' });
    expect(live.message).toContain('the file holds LIVE settings but this process works on TEST');
    expect(await configFingerprint(db)).toBe(before);
  });

  it('refuses out-of-range profiles, unknown keys and broken market plans, whole, and writes nothing', async () => {
    const before = await configFingerprint(db);
    const bounds = await refusal({ risk_profiles: { low: { risk_per_trade_pct: 5 } } });
    expect(bounds.message).toContain(
      'risk_profiles.low.risk_per_trade_pct must be between 0.1 and 0.5 in the low profile, not 5',
    );
    const typed = await refusal({ risk_profiles: { high: { allow_leverage: 'yes' } } });
    expect(typed.message).toBe(
      'The configuration file is invalid, nothing was changed: risk_profiles.high.allow_leverage: Invalid input: expected boolean, received string.',
    );
    const unknown = await refusal({ system: { require_strategy_approval: true }, backup: { enabled: true } });
    expect(unknown.code).toBe('BAD_INPUT');
    expect(unknown.message).toMatch(/the file has unknown key 'backup'/);
    expect(unknown.message).toMatch(/system has unknown key 'require_strategy_approval'/);
    const plans = await refusal({
      markets: {
        'BTC/USDT': { strategy: 'nope' },
        'ETH/USDT': { module_params: { breakout_v1: { lookback: 1 } } },
        'bad symbol': {},
      },
    });
    expect(plans.message).toContain('markets.bad symbol: is not a symbol like BTC/USDT');
    const planned = await refusal({
      markets: { 'BTC/USDT': { strategy: 'nope' }, 'ETH/USDT': { module_params: { breakout_v1: { lookback: 1 } } } },
    });
    expect(planned.message).toContain("markets.BTC/USDT: strategy nope: strategy 'nope' does not exist");
    expect(planned.message).toMatch(/markets\.ETH\/USDT: .*breakout_v1.*params\.lookback/);
    expect(await configFingerprint(db)).toBe(before);
  });

  it('LIVE has its own settings, without the paper account: round trip, and a paper section is refused', async () => {
    const live = systemTarget(tradingScope('LIVE'));
    const { text } = await exportDocument(db, live, 'LIVE');
    expect(text).toContain('system_mode: LIVE');
    expect(text).not.toContain('paper:');
    expect((await applyDocument(db, live, yamlData(text), { ask: neverAsked, show: quiet })).changed).toBe(false);
    const e = (await applyDocument(db, live, { paper: { fee_bps: 5 } }, { ask: neverAsked, show: quiet }).catch(
      (x: unknown) => x,
    )) as TraderError;
    expect(e.message).toContain('paper: the paper account exists in TEST only; leave the section out');
    // The just-in-time balance query is a LIVE setting of the system section (on by default).
    expect(text).toContain('require_jit_checks: true');
    const off = await applyDocument(
      db,
      live,
      { system: { require_jit_checks: false } },
      { ask: answering(true), show: quiet },
    );
    expect(off.changed).toBe(true);
    const [state] = await db.query('select require_jit_checks from trading_live.state');
    expect(state).toEqual({ require_jit_checks: false });
  });

  it('sets the optimiser keys: approval off in TEST with a warning, never in LIVE; drawdown limits per profile', async () => {
    const shown: string[][] = [];
    const r = await applyDocument(
      db,
      target,
      {
        strategies: {
          require_strategy_approval: false,
          live_performance_feedback_weight: 0.25,
          optimizer_max_strategy_drawdown_pct: { low: 8 },
        },
      },
      { ask: answering(true), show: (_diff, warnings) => shown.push(warnings) },
    );
    expect(r.changed).toBe(true);
    expect(shown[0]).toEqual([
      expect.stringMatching(/^strategies.require_strategy_approval false: an optimiser study will activate/),
    ]);
    expect(
      await db.query(
        'select require_strategy_approval, live_performance_feedback_weight::text as w from trading_test.state',
      ),
    ).toEqual([{ require_strategy_approval: false, w: '0.25' }]);
    const limits = await db.query<{ profile: string; pct: string }>(
      'select profile, optimizer_max_strategy_drawdown_pct::text as pct from trading_test.risk_profiles order by optimizer_max_strategy_drawdown_pct',
    );
    expect(limits).toEqual([
      { profile: 'low', pct: '8' },
      { profile: 'medium', pct: '20' },
      { profile: 'high', pct: '30' },
    ]);
    const live = systemTarget(tradingScope('LIVE'));
    const e = (await applyDocument(
      db,
      live,
      { strategies: { require_strategy_approval: false } },
      { ask: neverAsked, show: quiet },
    ).catch((x: unknown) => x)) as TraderError;
    expect(e.message).toContain(
      'strategies.require_strategy_approval: in LIVE every strategy version waits for your approval',
    );
    expect(await db.query('select require_strategy_approval from trading_live.state')).toEqual([
      { require_strategy_approval: true },
    ]);
    const bad = await refusal({ strategies: { optimizer_max_strategy_drawdown_pct: { medium: 80 } } });
    expect(bad.message).toMatch(/strategies.optimizer_max_strategy_drawdown_pct.medium/);
    const weight = await refusal({ strategies: { live_performance_feedback_weight: 1.5 } });
    expect(weight.message).toMatch(/strategies.live_performance_feedback_weight: Too big: expected number to be <=1/);
  });

  it('lowers the mode and switches leverage off, as lowering risk never needs more than a yes', async () => {
    await db.query("update trading_test.risk_profiles set allow_leverage = true where profile = 'high'");
    await updateStateAs({
      operational_mode: 'full_auto',
      risk_profile: 'high',
      leverage_enabled: true,
      leverage_enabled_at: new Date(),
    });
    // Active leverage outside high is a contradiction the file must resolve itself.
    const contradiction = await refusal({ system: { risk_profile: 'medium' } });
    expect(contradiction.message).toContain('leverage.active: active leverage needs the high profile');
    const r = await applyDocument(
      db,
      target,
      { system: { operational_mode: 'observe', risk_profile: 'medium' }, leverage: { active: false } },
      { ask: answering(true), show: quiet },
    );
    expect(r.changed).toBe(true);
    const [state] = await db.query('select operational_mode, risk_profile, leverage_enabled from trading_test.state');
    expect(state).toEqual({ operational_mode: 'observe', risk_profile: 'medium', leverage_enabled: false });
  });
});
