import { describe, expect, it } from 'vitest';
import { warmupTolerance } from '../../engine/gates/compare-results.ts';
import { gateSample } from '../../engine/gates/gate-harness.ts';
import { runModuleGates } from '../../engine/gates/module-gates.ts';
import { gateableModule } from '../../engine/gates/pack-gates.ts';
import type { LoadedModule } from '../../engine/loader/module-loader.ts';
import { asOfCandles, fixedCandles } from '../../engine/run/as-of-view.ts';
import { cachedIndicators } from '../../engine/run/indicator-cache.ts';
import { indicators } from '../../sdk/indicators.ts';
import { fixturesRoot } from '../helpers/pipeline.ts';

/**
 * What the registration gates find, judged in-process on fixture modules whose truth is
 * known (no database: the gates read only the module and the shipped sample). Recording
 * them in the registry is tested on both backends in gates.test.ts.
 */

const gate = async (rel: string) => {
  const module = await gateableModule(fixturesRoot, rel);
  return { module, report: runModuleGates(module, []) };
};

const sample = gateSample();
const n = sample.ts.length;
/** The history behind every judged bar in the gates: bars before this index are history only. */
const FULL = 3000;

function view(from: number, to: number) {
  const c = (a: number[]) => a.slice(from, to);
  const s = { ...sample, ts: c(sample.ts), open: c(sample.open), high: c(sample.high) };
  return { candles: fixedCandles({ ...s, low: c(sample.low), close: c(sample.close), volume: c(sample.volume) }) };
}

/** The module's result at the close of bar `end - 1` with `bars` of history. */
const decide = (m: LoadedModule, end: number, bars: number) =>
  JSON.stringify(m.run(view(end - bars, end), m.row.params, { indicators }));

/** The module's result at every bar of 2024 with all the history before it: a replay, as a backtest decides. */
function withAllHistory(m: LoadedModule): Map<number, string> {
  const replay = asOfCandles(sample, 0, FULL);
  const out = new Map<number, string>();
  for (let end = FULL + 1; end <= n; end++) {
    replay.advanceTo(end);
    out.set(end, JSON.stringify(m.run({ candles: replay.view }, m.row.params, { indicators: cachedIndicators })));
  }
  return out;
}

/** The first bar of 2024 (with FULL bars behind it) where `bars` of history decide otherwise than all of it, or null. */
function firstDifference(m: LoadedModule, reference: Map<number, string>, bars: number): number | null {
  for (const [end, decided] of reference) if (decide(m, end, bars) !== decided) return end - 1;
  return null;
}

describe('the warm-up the gates record is never shorter than the truth', () => {
  it('SMA 30 cross: needs 31 bars (it reads the SMA at the last two), recorded 31 where 25 was', async () => {
    const { module, report } = await gate('filters/sma_cross_filter_v1.ts');
    const all = withAllHistory(module);
    expect(firstDifference(module, all, 30)).not.toBeNull(); // the truth is more than 30
    expect(report.warmup_bars).toBeGreaterThanOrEqual(31);
    expect(report.warmup_bars).toBeLessThanOrEqual(50);
    expect(report.read_depth_bars).toBe(31);
    expect(firstDifference(module, all, report.warmup_bars!)).toBeNull();
  });

  it('a 50-bar channel breakout: needs 51 bars, recorded at least that', async () => {
    const { module, report } = await gate('agents/channel_breakout_v1.ts');
    const all = withAllHistory(module);
    expect(firstDifference(module, all, 50)).not.toBeNull();
    expect(report.warmup_bars).toBeGreaterThanOrEqual(51);
    expect(report.warmup_bars).toBeLessThanOrEqual(100);
    expect(firstDifference(module, all, report.warmup_bars!)).toBeNull();
  });

  it('EMA 20 cross: from the recorded warm-up on, the EMA it reads is within the documented 1e-9 at every bar', async () => {
    const { module, report } = await gate('filters/ema_cross_filter_v1.ts');
    const full = indicators.ema(sample.close, 20);
    /** The worst relative error, over every bar of 2024 with FULL bars behind it, of the two EMA values the module reads. */
    const worst = (bars: number) => {
      let most = 0;
      for (let end = FULL + 1; end <= n; end++) {
        const short = indicators.ema(sample.close.slice(end - bars, end), 20);
        for (const k of [1, 2]) most = Math.max(most, Math.abs(short.at(-k)! - full[end - k]!) / full[end - k]!);
      }
      return most;
    };
    const w = report.warmup_bars!;
    expect(worst(w)).toBeLessThanOrEqual(warmupTolerance);
    // Not absurdly longer: half of it is not enough.
    expect(worst(Math.floor(w / 2))).toBeGreaterThan(warmupTolerance);
    expect(firstDifference(module, withAllHistory(module), w)).toBeNull();
  });
});

describe('a module that breaks its contract on the sample fails its gates, saying what and when', () => {
  const at = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00\\.000Z';
  it.each([
    ['agents/throws_v1.ts', `^throws at ${at}: fixture exploded on purpose$`],
    ['agents/undeclared_key_v1.ts', `^breaks its output contract at ${at}: wrote undeclared key 'ideas'$`],
    [
      'agents/bad_value_v1.ts',
      `^breaks its output contract at ${at}: signals\\[0\\]\\.targets must .+; signals\\[0\\]\\.confidence must .+`,
    ],
    [
      'agents/returns_promise_v1.ts',
      `^breaks its output contract at ${at}: returned a Promise; a module run function must be synchronous and pure$`,
    ],
    [
      'agents/returns_null_v1.ts',
      `^breaks its output contract at ${at}: returned no \\{ outputs, rationale \\} object$`,
    ],
    [
      'agents/reads_undeclared_v1.ts',
      `^reads 'volatility' at ${at} without declaring it in input_keys \\(it declares candles\\)`,
    ],
  ])('%s', async (rel, reason) => {
    const { report } = await gate(rel);
    expect(report).toMatchObject({ status: 'failed', contract_kept: false, deterministic: true, lookahead_free: true });
    expect(report.reasons).toHaveLength(1);
    expect(report.reasons[0]).toMatch(new RegExp(reason));
  });

  it('a module that keeps its contract passes it', async () => {
    const { report } = await gate('filters/sma_cross_filter_v1.ts');
    expect(report).toMatchObject({ status: 'passed', contract_kept: true, reasons: [] });
  });
});
