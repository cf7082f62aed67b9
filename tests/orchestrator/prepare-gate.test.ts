/**
 * The causality gate of `prepare` (engine/gates/causality-gate.ts): a module whose
 * prepared columns over a cut series differ from the prefix of the whole series' columns is
 * refused at registration with one sentence naming the column and the first differing bar;
 * an honest one passes with the same warm-up as the same module written with SDK indicators.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { causalityProblem, cutPoints } from '../../engine/gates/causality-gate.ts';
import { gateSample } from '../../engine/gates/gate-harness.ts';
import { registerModuleFile } from '../../orchestrator/registration.ts';
import { preparedOver, type PrepareFn } from '../../engine/run/prepared-columns.ts';
import { getModule } from '../../registry/registry-repo.ts';
import { column, indicators, type SeriesColumns } from '../../sdk/index.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { fixtureEnv, registerFixtures } from '../helpers/pipeline.ts';
import { sampleCandles } from '../helpers/sample-candles.ts';

const iso = (i: number) => `bar ${i}`;

describe('causalityProblem', () => {
  const s = gateSample();

  it('passes the SDK indicators prepared over the series', () => {
    const prepare: PrepareFn = (x) => ({
      ema: column(indicators.ema((x as SeriesColumns).close, 50)),
      atr: column(indicators.atr(x as SeriesColumns, 14)),
    });
    expect(causalityProblem(prepare, {}, s, iso)).toBeNull();
  });

  it('names the column and the first index where a cut series disagrees', () => {
    // Normalised by the series' last close: every value depends on the newest candle.
    const prepare: PrepareFn = (x) => {
      const c = (x as SeriesColumns).close;
      return { scaled: c.map((v) => v / c[c.length - 1]!) };
    };
    expect(causalityProblem(prepare, {}, s, iso)).toMatch(
      /^prepare is not causal: column 'scaled' at index 0 \(bar 0\) is 1 on the sample cut after bar 0 but [\d.]+ on the whole sample, so it depends on later candles$/,
    );
  });

  it('refuses columns of the wrong kind or length, and a prepare that throws', () => {
    const arrays: PrepareFn = (x) => ({ close: [...(x as SeriesColumns).close] });
    expect(causalityProblem(arrays, {}, s, iso)).toMatch(/column 'close' is not a Float64Array/);
    const short: PrepareFn = () => ({ one: new Float64Array(1) });
    expect(causalityProblem(short, {}, s, iso)).toMatch(/column 'one' has 1 values for 8784 candles/);
    const throws: PrepareFn = () => {
      throw new Error('boom');
    };
    expect(causalityProblem(throws, {}, s, iso)).toBe('prepare fails on the sample: boom');
  });

  it('cuts early (where seeds live) and across the series, never at its ends', () => {
    const cuts = cutPoints(1000);
    expect(cuts.slice(0, 3)).toEqual([1, 2, 3]);
    expect(cuts.at(-1)).toBe(909);
    expect(cuts.every((c) => c >= 1 && c < 1000)).toBe(true);
  });
});

describe('a prepared view', () => {
  it('reads at the decision bar and before it, never after it', () => {
    const candles = sampleCandles({ to: 30 });
    const v = preparedOver((x: SeriesColumns) => ({ close: x.close }), candles, {});
    expect(v.newest).toBe(29);
    expect(v.at('close')).toBe(candles.close[29]);
    expect(v.at('close', 29)).toBe(candles.close[0]);
    expect(v.at('close', 30)).toBeNaN();
    expect(() => v.at('close', -1)).toThrow(/1 bar\(s\) after the decision time: modules may not look ahead/);
    expect(() => v.at('nope')).toThrow(
      /read prepared column 'nope', which prepare did not return \(it returned close\)/,
    );
  });
});

describe('registration of modules with prepare', () => {
  let db: TestDb;
  afterEach(async () => db?.close());

  it('refuses a non-causal prepare, passes an honest one with the warm-up of its SDK twin', async () => {
    db = await freshDb('pglite');
    await registerFixtures(db, [
      'filters/prepare_peeks_v1.ts',
      'filters/prepared_ema_cross_v1.ts',
      'filters/ema_cross_filter_v1.ts',
    ]);
    const peeks = await getModule(db, 'prepare_peeks_v1');
    expect(peeks.is_active).toBe(false);
    expect(peeks.gate).toMatchObject({ status: 'failed', lookahead_free: false });
    expect(peeks.gate!.reasons).toContain(
      "prepare is not causal: column 'next_close' at index 0 (2024-01-01T00:00:00.000Z) is NaN on the sample cut after 2024-01-01T00:00:00.000Z but 42613.56 on the whole sample, so it depends on later candles",
    );
    const honest = await getModule(db, 'prepared_ema_cross_v1');
    const twin = await getModule(db, 'ema_cross_filter_v1');
    expect(honest.gate).toMatchObject({ status: 'passed', lookahead_free: true, reasons: [] });
    expect(honest.gate!.warmup_bars).toBe(twin.gate!.warmup_bars);
  }, 120_000);

  it('refuses a prepare in a module that does not declare the candles it reads', async () => {
    db = await freshDb('pglite');
    await expectTraderError(
      registerModuleFile(db, `${fixtureEnv.TRADER_MODULES_ROOT}/filters/prepare_without_candles_v1.ts`, {
        activate: true,
        env: fixtureEnv,
      }),
      'BAD_INPUT',
      /it exports prepare, which reads the candles, but its manifest does not declare 'candles' in input_keys/,
    );
  });
});
