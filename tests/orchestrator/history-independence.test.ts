/**
 * Where the history starts never changes a decision, once it holds the recorded warm-up.
 * On real BTC/USDT 1h 2024 (data/sample) and its macro history, at 200 bars spread over the
 * year, every shipped module (run after the registered producers of its inputs, as its
 * registration gate runs it) and every shipped plan (the default pipeline and the three pack
 * strategies, as `trader run` plans them) decides the same from every history between its
 * warm-up and the full cache: a live run's window of H candles, for H = every recorded
 * warm-up from its own on and 1,500, and a backtest's growing view over everything since
 * 1 January, whose indicators are computed once over the whole series.
 *
 * The warm-up of a module here is the longest recorded (module_registry.gate) among it and
 * its producers; a plan's is planWarmup, what a run loads at least. The same decision: every
 * status, category, side, setup, reason and count equal; every number equal within 1e-9
 * relative, the tolerance the registration gate measures warm-up with (recursive indicators
 * seeded further back converge to it; finite-window ones are bit-identical, see
 * tests/indicators/window-independence.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { decideBar, type BarInputs } from '../../backtest/decide-bar.ts';
import { packageRoot, sampleDataDir } from '../../core/paths.ts';
import { parseCandleCsv } from '../../market/csv-candles.ts';
import { macroTimeline, type MacroTimeline } from '../../market/macro/macro-timeline.ts';
import { buildHarness, evaluate } from '../../engine/gates/gate-harness.ts';
import { loadModule, type LoadedModule } from '../../engine/loader/module-loader.ts';
import { planWarmup } from '../../engine/plan/plan-warmup.ts';
import type { Plan } from '../../engine/plan/plan-types.ts';
import { preparePlans } from '../../engine/plan/prepare.ts';
import { asOfCandles, fixedCandles } from '../../engine/run/as-of-view.ts';
import { readConfig } from '../../registry/config-repo.ts';
import { packStrategies } from '../../registry/default-pack.ts';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import type { Macro } from '../../sdk/macro-schema.ts';
import type { TestDb } from '../helpers/db.ts';
import { demoDb } from '../helpers/pipeline.ts';
import { btcInstrument } from '../helpers/module-views.ts';

const HOUR = 3_600_000;
const SAMPLES = 200;
/** The first bar judged: the full cache behind it (2,000 bars) is longer than any window compared. */
const FIRST = 2000;
const LONGEST_WINDOW = 1500;

type Series = z.infer<typeof CandleSeries>;
const series: Series = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  ...parseCandleCsv(fs.readFileSync(path.join(sampleDataDir, 'binance_BTC-USDT_1h_2024.csv'), 'utf8'), {
    timeframe: '1h',
  }),
};
const cut = (from: number, to: number): Series => {
  const c = (a: number[]) => a.slice(from, to);
  const s = series;
  return { ...s, ts: c(s.ts), open: c(s.open), high: c(s.high), low: c(s.low), close: c(s.close), volume: c(s.volume) };
};
/** Equal decisions: numbers within 1e-9 relative, everything else (and the shape) exactly. */
function sameDecision(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Object.is(a, b) || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameDecision(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every(
        (k, i) => k === kb[i] && sameDecision((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return a === b;
}

/** Something that decides at a bar close from a candle view: a module on its gate bench, or a plan. */
interface Subject {
  name: string;
  warmup: number;
  decide: (candles: Series, end: number) => unknown;
}

describe('decisions do not depend on where the history starts (real BTC/USDT 1h 2024)', () => {
  let db: TestDb;
  let macroAt: MacroTimeline;
  const subjects: Subject[] = [];
  beforeAll(async () => {
    // The demo's database: the seeded pack and the macro history this needs (its BTC and ETH candles
    // are not read: the candles come from the CSV above). A copy of a template, not a fresh seed.
    db = await demoDb('pglite');
    macroAt = await macroTimeline(db, { from: new Date(series.ts[0]!), to: new Date(series.ts.at(-1)! + HOUR) });
    const macro = (end: number): Macro | null => macroAt(new Date(series.ts[end - 1]! + HOUR));

    const root = path.join(packageRoot, 'modules');
    const loaded: LoadedModule[] = [];
    for (const row of (await readConfig(db)).registry) {
      const r = await loadModule(row, root);
      if (!r.ok) throw new Error(r.problems.join('; '));
      loaded.push(r.module);
    }
    for (const target of loaded) {
      const h = buildHarness(target, loaded);
      const warmups = [target, ...h.producers.map((p) => p.module)].map((m) => m.row.gate!.warmup_bars!);
      subjects.push({
        name: `module ${target.row.module_id}`,
        warmup: Math.max(...warmups),
        decide: (candles, end) => {
          const e = evaluate(h, candles, macro(end));
          return { status: e.status, outputs: e.outputs, failure: e.status === 'ok' ? null : e.text };
        },
      });
    }
    for (const strategyId of [null, ...packStrategies.map((s) => s.id)]) {
      const prepared = await preparePlans(db, {
        pipelineId: 'default',
        strategyId,
        symbols: ['BTC/USDT'],
        riskProfile: 'medium',
      });
      const plan: Plan = prepared.plans.get('BTC/USDT')!;
      subjects.push({
        name: strategyId ? `strategy ${strategyId}` : 'the default pipeline',
        warmup: planWarmup(plan)!.bars,
        decide: (candles, end) => {
          const d = decideBar(plan, barInputs(plan, end, macro(end)), { candles, fingerprint: true });
          return { fingerprint: JSON.parse(d.fingerprint!) as unknown, errors: d.errors };
        },
      });
    }
  }, 300_000);
  afterAll(async () => db?.dispose());

  it('every shipped module and plan decides alike at 200 bars from each history between its warm-up and the full cache', () => {
    const bars = Array.from(
      { length: SAMPLES },
      (_, i) => FIRST + Math.floor(((i + 0.5) * (series.ts.length - FIRST)) / SAMPLES),
    );
    const windows = [...new Set([...subjects.map((s) => s.warmup), LONGEST_WINDOW])].sort((a, b) => a - b);
    expect(Math.max(...windows)).toBeLessThanOrEqual(FIRST);
    expect(subjects).toHaveLength(28 + 4);

    const backtest = asOfCandles(series, 0, 0);
    const differences: string[] = [];
    const decided = new Map<string, Set<string>>();
    const planOutcomes: string[] = [];
    for (const end of bars) {
      backtest.advanceTo(end);
      const reference = subjects.map((s) => s.decide(backtest.view, end));
      for (const r of reference)
        if (r !== null && typeof r === 'object' && 'fingerprint' in r)
          planOutcomes.push((r.fingerprint as string[])[0]!);
      subjects.forEach((s, i) => {
        const kinds = decided.get(s.name) ?? new Set();
        kinds.add(JSON.stringify(reference[i]).replace(/-?\d[\d.e+-]*/g, '#')); // its kind: numbers aside
        decided.set(s.name, kinds);
      });
      for (const h of windows) {
        const live = fixedCandles(cut(end - h, end));
        subjects.forEach((s, i) => {
          if (h < s.warmup) return;
          const got = s.decide(live, end);
          if (!sameDecision(got, reference[i]) && differences.length < 5)
            differences.push(
              `${s.name} at ${new Date(series.ts[end - 1]! + HOUR).toISOString()} with ${h} bars: ${JSON.stringify(got).slice(0, 400)} where the full cache gives ${JSON.stringify(reference[i]).slice(0, 400)}`,
            );
        });
      }
    }
    expect(differences).toEqual([]);
    // Not vacuous: the plans reach every outcome over these bars, and most modules decide more than one way.
    const outcomes = new Set(planOutcomes);
    expect([...outcomes].sort()).toEqual(['blocked', 'no_trade', 'trade_intent']);
    const varied = [...decided].filter(([, kinds]) => kinds.size > 1);
    expect(varied.length).toBeGreaterThan(subjects.length / 2);
  }, 300_000);
});

/** What a bar close hands a plan: a fresh 10,000 USDT paper account with the paper's default costs. */
function barInputs(plan: Plan, end: number, macro: Macro | null): BarInputs {
  return {
    run: {
      run_id: '00000000-0000-4000-8000-000000000000',
      pipeline_id: plan.pipeline_id,
      strategy_id: plan.strategy_id,
      system_mode: 'TEST',
      operational_mode: 'observe',
      risk_profile: 'medium',
      exchange: 'binance',
      timeframe: '1h',
      as_of: new Date(series.ts[end - 1]! + HOUR).toISOString(),
      trigger: 'test',
    },
    instrument: btcInstrument(),
    macro,
    account: { equity: 10_000, free_balance: 10_000, positions: { open: [], recent_closed: [] } },
    maxRiskPct: 1,
    maxLeverage: 1,
    costs: { fee_rate: 0.001, slippage_rate: 0.0005 },
    historyBars: 500,
    minBars: 100,
    timeframeMs: HOUR,
  };
}
