/**
 * The risk profile's signal filter (engine/run/profile-filter.ts): a strategy version that
 * does not suit the active profile has its signals rejected before risk sizing, audited
 * with the reason; Low is stricter on confidence and volatility. Property-tested on the
 * pure rule, then end to end in a run on both backends.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../engine/plan/plan-types.ts';
import { LOW_MIN_CONFIDENCE, profileFilter } from '../../engine/run/profile-filter.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { tradingScope } from '../../trading/scope.ts';
import { insertVersion, setVersionStatus } from '../../trading/strategies/strategy-versions.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoAsOf, demoDb, runOptions } from '../helpers/pipeline.ts';
import { approveProposal } from '../../trading/proposals/review-proposal.ts';

const profiles = ['low', 'medium', 'high'] as const;
const plan = (suits?: (typeof profiles)[number][]): Plan => ({
  pipeline_id: 'default',
  strategy_id: 'breakout',
  symbol: null,
  slots: [],
  ...(suits ? { strategy_version: 3, suitable_risk_profiles: suits } : {}),
});

describe('the profile filter rule', () => {
  it('never passes a signal of a strategy unsuited to the active profile, nor a weak or high-volatility one in Low', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...profiles),
        fc.option(fc.subarray([...profiles], { minLength: 1 }), { nil: undefined }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('low', 'normal', 'high'),
        (profile, suits, confidence, band) => {
          const context = {
            run: { risk_profile: profile },
            signals: [{ confidence, direction: 'long' }],
            volatility: { band },
          };
          const v = profileFilter(plan(suits), context)!;
          const suited = suits === undefined || suits.includes(profile);
          const strictOk = profile !== 'low' || (band !== 'high' && confidence >= LOW_MIN_CONFIDENCE);
          expect(v.allow).toBe(suited && strictOk);
          if (!suited) expect(v.reason).toMatch(/^StrategyRiskMismatch: strategy breakout version 3 suits/);
        },
      ),
    );
  });

  it('has nothing to judge without a signal', () => {
    expect(profileFilter(plan(['high']), { run: { risk_profile: 'medium' }, signals: [] })).toBeNull();
  });
});

describe.each(backends)('the profile filter in a run on %s', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb(kind);
  }, 300_000);
  afterAll(async () => db?.dispose());

  const filterAudits = async () =>
    db.query<{ action_type: string; status: string; details: { reason?: string; strategy_version: number | null } }>(
      `select action_type, status, details from audit_trail where action_type like 'SIGNAL_%' order by seq`,
    );

  it('rejects the signals of a version unsuited to the active profile before sizing, with an audit row; passes a suited one', async () => {
    const scope = tradingScope('TEST');
    const run = () => runPipeline(db, runOptions({ strategyId: 'breakout', env: process.env }));
    const activate = async (suits: (typeof profiles)[number][]) => {
      const version = await insertVersion(db, {
        strategy_id: 'breakout',
        params: {},
        suitable_risk_profiles: suits,
        markets: null,
        study_id: null,
        report: null,
      });
      await setVersionStatus(db, scope, { strategy_id: 'breakout', version, status: 'ACTIVE', by: 'test', note: null });
      return version;
    };
    const unsuited = await activate(['high']);
    const rejected = await run();
    expect(rejected.symbols[0]).toMatchObject({
      outcome: 'blocked',
      reason: expect.stringMatching(
        /^profile_filter: StrategyRiskMismatch: strategy breakout version \d+ suits high, not the active medium profile/,
      ),
    });
    expect((await filterAudits()).map((a) => `${a.action_type} ${a.status}`)).toEqual([
      'SIGNAL_GENERATED INFO',
      'SIGNAL_FILTER_REJECTED REJECTED',
    ]);
    expect((await filterAudits())[1]!.details).toMatchObject({ strategy_version: unsuited });

    const suited = await activate(['medium', 'high']);
    await db.query(`update trading_test.state set operational_mode = 'semi_auto'`);
    const passed = await run();
    expect(passed.symbols[0]!.outcome).not.toBe('blocked');
    // What the run opened remembers the version that decided it: the optimiser's live feedback reads it back.
    const opened = await db.query<{ strategy_version: number | null }>(
      `select strategy_version from trading_test.proposals where run_id = $1
       union all select strategy_version from trading_test.positions where run_id = $1`,
      [passed.run_id],
    );
    expect(opened).toEqual([{ strategy_version: suited }]);
    const [proposal] = await db.query<{ proposal_id: string }>(
      `select proposal_id from trading_test.proposals where run_id = $1`,
      [passed.run_id],
    );
    const approved = await approveProposal(db, scope, Number(proposal!.proposal_id), demoAsOf);
    expect(approved).toMatchObject({ status: 'approved' });
    const [position] = await db.query<{ strategy_version: number | null }>(
      `select strategy_version from trading_test.positions where proposal_id = $1`,
      [proposal!.proposal_id],
    );
    expect(position).toEqual({ strategy_version: suited });
    expect((await filterAudits()).slice(2).map((a) => `${a.action_type} ${a.status}`)).toEqual([
      'SIGNAL_GENERATED INFO',
      'SIGNAL_FILTER_PASS SUCCESS',
    ]);
  }, 120_000);
});
