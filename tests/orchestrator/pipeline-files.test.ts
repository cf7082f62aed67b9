import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { applyDocument, exportDocument } from '../../orchestrator/config-files/apply-document.ts';
import { pipelineTarget, strategyTarget } from '../../orchestrator/config-files/slot-targets.ts';
import { packStrategies } from '../../registry/default-pack.ts';
import { searchAudit } from '../../trading/audit/audit-query.ts';
import { answering, configFingerprint, neverAsked, yamlData } from '../helpers/config-files.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { seededDb } from '../helpers/pipeline.ts';

const quiet = () => {};

describe.each(backends)('pipeline and strategy files on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await seededDb(kind);
  });
  afterEach(async () => db.dispose());

  /** Exports a strategy or pipeline and returns its data, as a user's file would hold it. */
  const exported = async (target: typeof strategyTarget | typeof pipelineTarget, name: string) =>
    yamlData((await exportDocument(db, target as typeof strategyTarget, name)).text) as Record<string, unknown>;

  it('export then apply is "nothing to apply" for the pipeline and every shipped strategy, and asks nothing', async () => {
    const before = await configFingerprint(db);
    const pipeline = await applyDocument(db, pipelineTarget, await exported(pipelineTarget, 'default'), {
      ask: neverAsked,
      show: quiet,
    });
    expect(pipeline).toMatchObject({ name: 'default', changed: false, version: null });
    for (const s of packStrategies) {
      const r = await applyDocument(db, strategyTarget, await exported(strategyTarget, s.id), {
        ask: neverAsked,
        show: quiet,
      });
      expect(r.changed).toBe(false);
    }
    expect(await configFingerprint(db)).toBe(before);
  });

  it('refuses a file that breaks the plan, whole, naming every problem, and writes nothing', async () => {
    const before = await configFingerprint(db);
    const file = {
      strategy: 'breakout',
      pipeline: 'default',
      stages: {
        context: [{ module: 'trend_volatility_v1' }],
        filter: [{ module: 'breakout_v1' }], // an agent in the filter stage
        agent: [{ module: 'breakout_v1', params: { lookback: 2 } }, { module: 'no_such_v1' }],
        confluence: [{ module: 'n_of_m_v1', params: { bogus: 1 } }],
        risk: [{ module: 'fixed_fractional_v1' }],
      },
    };
    const refused = await applyDocument(db, strategyTarget, file, { ask: neverAsked, show: quiet }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TraderError);
    expect((refused as TraderError).code).toBe('CONFIG_INVALID');
    // An unregistered module is reported first (the rows could not even be stored)...
    expect((refused as TraderError).message).toMatch(/stages\.agent: module no_such_v1 is not registered/);
    // ...and with it gone, every planner problem at once.
    file.stages.agent.pop();
    const planned = (await applyDocument(db, strategyTarget, file, { ask: neverAsked, show: quiet }).catch(
      (e: unknown) => e,
    )) as TraderError;
    expect(planned.message).toMatch(/^The strategy file for breakout was refused, nothing was changed: \d+ problems:/);
    expect(planned.message).toContain('module breakout_v1 is a agent module but sits in the filter stage');
    expect(planned.message).toMatch(/agent slot breakout_v1: params\.lookback must be at least 5/);
    expect(planned.message).toMatch(/confluence slot n_of_m_v1: params has a field it does not know: bogus/);
    expect(await configFingerprint(db)).toBe(before);
  });

  it('refuses malformed files with the path of each problem', async () => {
    const before = await configFingerprint(db);
    const cases: [unknown, RegExp][] = [
      [{ pipeline: 'default', stages: {}, colour: 'red' }, /the file has unknown key 'colour'/],
      [{ pipeline: 'default', stages: { agents: [] } }, /stages has unknown key 'agents'/],
      [{ pipeline: 'Default!', stages: { agent: [{ module: 'breakout_v1' }] } }, /pipeline: must be lower_snake_case/],
      [
        { pipeline: 'default', stages: { agent: [{ module: 'breakout_v1' }, { module: 'breakout_v1' }] } },
        /stages\.agent\.1\.module: breakout_v1 is listed twice/,
      ],
      [{ pipeline: 'default', stages: { agent: [] } }, /stages\.agent: lists no module/],
      [{ pipeline: 'default', stages: { agent: [{ module: 'breakout_v1', shadow: 'yes' }] } }, /shadow/],
      ['just a string', /\(top level\)/],
    ];
    for (const [file, message] of cases) {
      const e = (await applyDocument(db, pipelineTarget, file, { ask: neverAsked, show: quiet }).catch(
        (x: unknown) => x,
      )) as TraderError;
      expect(e.code, String(message)).toBe('BAD_INPUT');
      expect(e.message).toMatch(/^The pipeline file is invalid, nothing was changed: /);
      expect(e.message).toMatch(message);
    }
    expect(await configFingerprint(db)).toBe(before);
  });

  it('shows the diff, asks, applies in one go, keeps the previous version and audits what changed', async () => {
    const original = await exportDocument(db, strategyTarget, 'breakout');
    const file = yamlData(original.text) as { stages: Record<string, { module: string; params?: unknown }[]> };
    file.stages.agent = file.stages.agent!.filter((s) => s.module !== 'fvg_v1');
    file.stages.confluence![0]!.params = { min_signals: 2 };
    const shown: string[] = [];
    const ask = answering(true);
    const r = await applyDocument(db, strategyTarget, file, { ask, show: (diff) => shown.push(diff) });
    expect(r).toMatchObject({ name: 'breakout', changed: true, version: 2 });
    expect(ask.asked).toEqual(['Apply this change to strategy breakout?']);
    expect(shown[0]).toContain('-     - module: fvg_v1');
    expect(shown[0]).toContain('+         min_signals: 2');
    expect(shown[0]).not.toContain('module: trend_volatility_v1'); // far from any change: elided

    const rows = await db.query<{ module_id: string; params: unknown; position: number }>(
      "select module_id, params, position from strategy_config where strategy_id = 'breakout' and stage in ('agent', 'confluence') order by stage, position",
    );
    expect(rows.map((x) => x.module_id)).toEqual(['breakout_v1', 'breakout_retest_v1', 'n_of_m_v1']);
    expect(rows.find((x) => x.module_id === 'n_of_m_v1')!.params).toEqual({ min_signals: 2 });

    // Version 1 is what was there before (found), version 2 the file; the old one exports as it was.
    const versions = await db.query<{ version: number; source: string }>(
      "select version, source from config_versions where kind = 'strategy' and name = 'breakout' order by version",
    );
    expect(versions).toEqual([
      { version: 1, source: 'found' },
      { version: 2, source: 'applied' },
    ]);
    expect((await exportDocument(db, strategyTarget, 'breakout', 1)).text).toBe(original.text);

    const [audit] = await searchAudit(db, { limit: 1 });
    expect(audit).toMatchObject({
      mode: 'SYSTEM',
      actor: 'USER',
      action_type: 'STRATEGY_APPLIED',
      status: 'SUCCESS',
      entity_type: 'strategy',
      entity_id: 'breakout',
    });
    expect(audit!.details).toMatchObject({
      version: 2,
      removed: ['agent/fvg_v1'],
      changed: ['confluence/n_of_m_v1'],
      added: [],
    });

    // The same file again changes nothing; the old version applied back is version 3.
    expect((await applyDocument(db, strategyTarget, file, { ask: neverAsked, show: quiet })).changed).toBe(false);
    const back = await applyDocument(db, strategyTarget, yamlData(original.text), {
      ask: answering(true),
      show: quiet,
    });
    expect(back.version).toBe(3);
    expect((await exportDocument(db, strategyTarget, 'breakout')).text).toBe(original.text);
  });

  it('a declined confirmation changes nothing and is audited as REJECTED', async () => {
    const file = await exported(pipelineTarget, 'default');
    (file.stages as Record<string, unknown[]>).filter = [{ module: 'data_health_blocker_v1' }];
    const before = await configFingerprint(db);
    const e = (await applyDocument(db, pipelineTarget, file, { ask: answering(false), show: quiet }).catch(
      (x: unknown) => x,
    )) as TraderError;
    expect(e.message).toBe('You did not confirm; pipeline default is unchanged.');
    expect(JSON.parse(await configFingerprint(db))[0]).toEqual([{ n: JSON.parse(before)[0][0].n + 1 }]);
    expect(JSON.parse(await configFingerprint(db)).slice(1)).toEqual(JSON.parse(before).slice(1));
    const [audit] = await searchAudit(db, { limit: 1 });
    expect(audit).toMatchObject({ action_type: 'PIPELINE_APPLIED', status: 'REJECTED', entity_id: 'default' });
  });

  it('refuses, writing nothing, when the pipeline changed while the user was asked', async () => {
    const file = await exported(pipelineTarget, 'default');
    (file.stages as Record<string, unknown[]>).agent = [{ module: 'breakout_retest_v1' }];
    const meanwhile = {
      confirm: async () => {
        await db.query("update pipeline_config set params = '{\"lookback\": 30}' where module_id = 'breakout_v1'");
        return true;
      },
    };
    const before = await configFingerprint(db);
    const e = (await applyDocument(db, pipelineTarget, file, { ask: meanwhile, show: quiet }).catch(
      (x: unknown) => x,
    )) as TraderError;
    expect(e.message).toBe(
      'pipeline default changed while you were asked; nothing was applied: run the command again.',
    );
    const after = JSON.parse(await configFingerprint(db)) as unknown[];
    // Only the concurrent edit itself shows: no row of the file, no version, no audit row.
    expect([after[0], after[1], after[3]]).toEqual([0, 1, 3].map((i) => (JSON.parse(before) as unknown[])[i]));
    const [agent] = await db.query("select module_id from pipeline_config where stage = 'agent'");
    expect(agent).toEqual({ module_id: 'breakout_v1' });
  });

  it('creates a new pipeline as version 1; a strategy on a pipeline that does not exist is refused', async () => {
    const lean = {
      pipeline: 'lean',
      stages: {
        context: [{ module: 'trend_volatility_v1' }],
        agent: [{ module: 'breakout_v1' }],
        confluence: [{ module: 'n_of_m_v1' }],
        risk: [{ module: 'fixed_fractional_v1' }],
      },
    };
    const r = await applyDocument(db, pipelineTarget, lean, { ask: answering(true), show: quiet });
    expect(r).toMatchObject({ name: 'lean', changed: true, version: 1 });
    expect((await exportDocument(db, pipelineTarget, 'lean')).versions.map((v) => v.source)).toEqual(['applied']);
    const orphan = { strategy: 'orphan', pipeline: 'nowhere', stages: { agent: [{ module: 'breakout_v1' }] } };
    const e = (await applyDocument(db, strategyTarget, orphan, { ask: neverAsked, show: quiet }).catch(
      (x: unknown) => x,
    )) as TraderError;
    expect(e.message).toContain('pipeline nowhere does not exist');
    await expect(exportDocument(db, pipelineTarget, 'nowhere')).rejects.toThrow(
      /^pipeline nowhere does not exist \(known: default, lean\)\.$/,
    );
  });

  it("carries a step's time_limit_ms to the row the sandbox reads, back to the file, and bounds it", async () => {
    const file = await exported(pipelineTarget, 'default');
    const stages = file.stages as Record<string, Record<string, unknown>[]>;
    stages.agent![0]!.time_limit_ms = 5000;
    const r = await applyDocument(db, pipelineTarget, file, { ask: answering(true), show: quiet });
    expect(r).toMatchObject({ changed: true });
    const [row] = await db.query<{ time_limit_ms: number | null }>(
      "select time_limit_ms from pipeline_config where pipeline_id = 'default' and stage = 'agent'",
    );
    expect(row!.time_limit_ms).toBe(5000);
    expect((await exportDocument(db, pipelineTarget, 'default')).text).toMatch(/time_limit_ms: 5000/);
    const before = await configFingerprint(db);
    stages.agent![0]!.time_limit_ms = 5;
    await expect(applyDocument(db, pipelineTarget, file, { ask: neverAsked, show: quiet })).rejects.toThrow(
      /time_limit_ms must be at least 10/,
    );
    expect(await configFingerprint(db)).toBe(before);
  });
});
