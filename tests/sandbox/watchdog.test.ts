import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { closeProbe, probeModuleImport } from '../../sandbox/probe.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { addSlots, fixtureEnv, importSample, registerFixtures, tempModulesRoot } from '../helpers/pipeline.ts';

/** The watchdog itself: imports under the load limit, a terminated worker replaced (a stop request: interrupt.test.ts). */
describe('the sandbox watchdog', () => {
  const root = tempModulesRoot();
  const write = (name: string, body: string) => {
    const file = path.join(root, 'agents', `${name}.ts`);
    fs.writeFileSync(file, `${body}\nexport const manifest = {};\n`);
    return file;
  };
  afterAll(async () => {
    await closeProbe();
    fs.rmSync(path.dirname(root), { recursive: true, force: true });
  });

  it('refuses a top level that loops, never settles or calls process.exit, with one sentence each', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'loops',
        'while (true) {}',
        /^module file loops\.ts did not finish loading within its 2 s limit \(its top level loops, or awaits something that never settles\)$/,
      ],
      ['awaits', 'await new Promise(() => {});', /^module file awaits\.ts did not finish loading within its 2 s limit/],
      [
        'exits',
        'process.exit(4);',
        /^module file exits\.ts called process\.exit\(4\) while loading; a module must return its result, never end the process$/,
      ],
    ];
    for (const [name, body, sentence] of cases) {
      const problems = await probeModuleImport(write(name, body), `sha-${name}`, `${name}.ts`);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(sentence);
    }
    // The loader's worker was replaced after each and still imports a sound file.
    const fine = await probeModuleImport(write('fine', ''), 'sha-fine', 'fine.ts');
    expect(fine[0]).toMatch(/^module file fine\.ts has no valid manifest export/);
  });
});

describe.each(backends)('a runaway module in a backtest on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db.dispose());

  it('stops the backtest with the limit sentence and saves nothing', async () => {
    db = await freshDb(kind);
    await importSample(db, 'ETH');
    await registerFixtures(db, ['agents/runaway_v1.ts']);
    await addSlots(db, [{ stage: 'agent', module_id: 'runaway_v1' }]);
    await expectTraderError(
      runBacktest(db, {
        symbols: ['ETH/USDT'],
        exchange: 'binance',
        timeframe: '1h',
        from: new Date('2024-03-01T00:00:00Z'),
        to: new Date('2024-03-02T00:00:00Z'),
        pipelineId: 'default',
        strategyId: null,
        initialEquity: 10_000,
        feeBps: 10,
        slippageBps: 5,
        historyBars: 500,
        env: fixtureEnv,
      }),
      'TIMEOUT',
      /^module runaway_v1@1\.0\.0 exceeded its 2 s limit; the backtest stopped and saved nothing\.$/,
    );
    expect(await db.query('select backtest_id from backtest_runs')).toEqual([]);
  });
});
