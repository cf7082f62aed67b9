/**
 * The candles-derived part of the module pack walked bar by bar over two real periods of
 * Binance BTC/USDT 1h history (data/sample/binance_BTC-USDT_1h_2020-03.csv: the March 2020
 * COVID crash; binance_BTC-USDT_1h_2023-08.csv: the quiet August 2023 range; each file starts
 * 300 bars before its month). Every bar of the month is decided with the 300 bars up to and
 * including it, modules chained as the pack does:
 *   trend_volatility_v1 -> market_state, volatility; session_timing_v1 -> session;
 *   instrument_intelligence_v1 -> liquidity; key_levels_v1 -> key_levels;
 *   filters volatility_liquidity_v1, data_health_blocker_v1 (data_health from the core's
 *   checkDataHealth), volatility_band_v1, min_liquidity_v1, session_filter_v1;
 *   agents breakout_v1, breakout_retest_v1, trend_pullback_v1, mean_reversion_v1, fvg_v1;
 *   confluence n_of_m_v1, weighted_score_v1; risk atr_stop_v1 -> tp_ladder_v1 (on the best idea).
 * Modules that read macro, portfolio or risk_config-driven keys are out of scope here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDataHealth } from '../../market/data-health.ts';
import { contextKeys, type KeyName } from '../../sdk/context-keys.ts';
import { indicators } from '../../sdk/indicators.ts';
import { btcInstrument } from '../helpers/module-views.ts';
import { packFiles } from '../../registry/default-pack.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import type { SeriesColumns } from '../../sdk/index.ts';
import * as trend_volatility_v1 from '../../modules/context/trend_volatility_v1.ts';
import * as session_timing_v1 from '../../modules/context/session_timing_v1.ts';
import * as instrument_intelligence_v1 from '../../modules/context/instrument_intelligence_v1.ts';
import * as key_levels_v1 from '../../modules/context/key_levels_v1.ts';
import * as volatility_liquidity_v1 from '../../modules/filters/volatility_liquidity_v1.ts';
import * as data_health_blocker_v1 from '../../modules/filters/data_health_blocker_v1.ts';
import * as volatility_band_v1 from '../../modules/filters/volatility_band_v1.ts';
import * as min_liquidity_v1 from '../../modules/filters/min_liquidity_v1.ts';
import * as session_filter_v1 from '../../modules/filters/session_filter_v1.ts';
import * as breakout_v1 from '../../modules/agents/breakout_v1.ts';
import * as breakout_retest_v1 from '../../modules/agents/breakout_retest_v1.ts';
import * as trend_pullback_v1 from '../../modules/agents/trend_pullback_v1.ts';
import * as mean_reversion_v1 from '../../modules/agents/mean_reversion_v1.ts';
import * as fvg_v1 from '../../modules/agents/fvg_v1.ts';
import * as n_of_m_v1 from '../../modules/confluence/n_of_m_v1.ts';
import * as weighted_score_v1 from '../../modules/confluence/weighted_score_v1.ts';
import * as atr_stop_v1 from '../../modules/risk/atr_stop_v1.ts';
import * as tp_ladder_v1 from '../../modules/risk/tp_ladder_v1.ts';

const HOUR = 3_600_000;
const HISTORY = 300;
const sdk = { indicators };
const instrument = btcInstrument();

type Mod = {
  manifest: {
    module_id: string;
    input_keys: readonly string[];
    output_keys: readonly string[];
    params: { parse: (x: unknown) => unknown };
  };
  /** Prepared over the bar's candles, as a live run prepares them (sdk/prepared.ts). */
  prepare?: (series: SeriesColumns, p: never) => unknown;
  run: (v: never, p: never, s: typeof sdk, prepared: never) => { outputs: Record<string, unknown>; rationale: string };
};

const CONTEXT = ['trend_volatility_v1', 'session_timing_v1', 'instrument_intelligence_v1', 'key_levels_v1'];
const FILTERS = [
  'volatility_liquidity_v1',
  'data_health_blocker_v1',
  'volatility_band_v1',
  'min_liquidity_v1',
  'session_filter_v1',
];
const AGENTS = ['breakout_v1', 'breakout_retest_v1', 'trend_pullback_v1', 'mean_reversion_v1', 'fvg_v1'];
const CONFLUENCE = ['n_of_m_v1', 'weighted_score_v1'];
const RISK = ['atr_stop_v1', 'tp_ladder_v1'];
const ALL = [...CONTEXT, ...FILTERS, ...AGENTS, ...CONFLUENCE, ...RISK];

interface Candles {
  exchange: string;
  symbol: string;
  timeframe: string;
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

function load(file: string): Candles {
  const lines = fs.readFileSync(path.join('data/sample', file), 'utf8').trim().split('\n');
  expect(lines.shift()).toBe('timestamp,open,high,low,close,volume');
  const s: Candles = {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    ts: [],
    open: [],
    high: [],
    low: [],
    close: [],
    volume: [],
  };
  for (const line of lines) {
    const [t, o, h, l, c, v] = line.split(',').map(Number) as number[];
    s.ts.push(t!);
    s.open.push(o!);
    s.high.push(h!);
    s.low.push(l!);
    s.close.push(c!);
    s.volume.push(v!);
  }
  return s;
}
const slice = (s: Candles, from: number, to: number): Candles => ({
  exchange: s.exchange,
  symbol: s.symbol,
  timeframe: s.timeframe,
  ts: s.ts.slice(from, to),
  open: s.open.slice(from, to),
  high: s.high.slice(from, to),
  low: s.low.slice(from, to),
  close: s.close.slice(from, to),
  volume: s.volume.slice(from, to),
});

/** Throws when any number anywhere in the value is NaN or +-Infinity. */
function assertFinite(v: unknown, where: string): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${where}: non-finite number ${v}`);
  } else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${where}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertFinite(x, `${where}.${k}`);
}

interface BarRecord {
  asOf: string;
  ctx: Record<string, unknown>;
  verdicts: Record<string, { allow: boolean; reason: string }>;
  signals: Record<string, { direction: 'long' | 'short'; entry: number; stop: number; targets: number[] }[]>;
  errors: Record<string, string>;
}

const imported: Record<string, unknown> = {
  trend_volatility_v1,
  session_timing_v1,
  instrument_intelligence_v1,
  key_levels_v1,
  volatility_liquidity_v1,
  data_health_blocker_v1,
  volatility_band_v1,
  min_liquidity_v1,
  session_filter_v1,
  breakout_v1,
  breakout_retest_v1,
  trend_pullback_v1,
  mean_reversion_v1,
  fvg_v1,
  n_of_m_v1,
  weighted_score_v1,
  atr_stop_v1,
  tp_ladder_v1,
};

function loadModules(): Record<string, Mod> {
  const mods: Record<string, Mod> = {};
  for (const id of ALL) {
    const file = packFiles.find((f) => f.endsWith(`/${id}.ts`));
    expect(file, `${id} is in packFiles`).toBeDefined();
    const m = imported[id] as Mod;
    expect(m.manifest.module_id).toBe(id);
    mods[id] = m;
  }
  return mods;
}

function walk(mods: Record<string, Mod>, file: string, monthStart: string, monthEnd: string): BarRecord[] {
  const all = load(file);
  const from = all.ts.findIndex((t) => t >= Date.parse(monthStart));
  const to = all.ts.findIndex((t) => t >= Date.parse(monthEnd));
  const end = to < 0 ? all.ts.length : to;
  expect(from).toBe(HISTORY); // the slice starts exactly 300 bars before the month
  const params = Object.fromEntries(ALL.map((id) => [id, mods[id]!.manifest.params.parse({})]));
  const out: BarRecord[] = [];
  for (let i = from; i < end; i++) {
    const candles = slice(all, i - HISTORY + 1, i + 1);
    const asOfMs = all.ts[i]! + HOUR; // the bar's close time
    const asOf = new Date(asOfMs).toISOString();
    const ctx: Record<string, unknown> = {
      candles,
      instrument,
      symbol: 'BTC/USDT',
      run: {
        run_id: '00000000-0000-4000-8000-000000000000',
        pipeline_id: 'real-periods',
        strategy_id: null,
        system_mode: 'TEST',
        operational_mode: 'observe',
        risk_profile: 'medium',
        exchange: 'binance',
        timeframe: '1h',
        as_of: asOf,
        trigger: 'test',
      },
      data_health: checkDataHealth(candles, { timeframeMs: HOUR, asOfMs, minBars: HISTORY }),
      filter_verdicts: [],
      signals: [],
      ideas: [],
    };
    for (const k of ['run', 'candles', 'instrument', 'data_health'] as KeyName[]) contextKeys[k].schema.parse(ctx[k]);
    const rec: BarRecord = { asOf, ctx, verdicts: {}, signals: {}, errors: {} };
    const runOne = (id: string) => {
      const m = mods[id]!;
      const view = Object.fromEntries(m.manifest.input_keys.map((k) => [k, ctx[k]]));
      for (const k of m.manifest.input_keys)
        if (ctx[k] === undefined) throw new Error(`${id} at ${asOf}: input ${k} missing`);
      let res: ReturnType<Mod['run']>;
      try {
        const prepared = m.prepare && preparedOver(m.prepare, candles, params[id] as never);
        res = m.run(view as never, params[id] as never, sdk, prepared as never);
      } catch (e) {
        const msg = (e as Error).message;
        if (!msg.startsWith('not enough data')) throw new Error(`${id} threw at ${asOf}: ${msg}`, { cause: e });
        rec.errors[id] = msg;
        return null;
      }
      expect(typeof res.rationale).toBe('string');
      expect(res.rationale.length).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(res.outputs)) {
        expect(m.manifest.output_keys, `${id} writes only declared keys`).toContain(k);
        assertFinite(v, `${id}.${k} at ${asOf}`);
        const def = contextKeys[k as KeyName];
        if (def.kind === 'list') {
          const items = v as unknown[];
          for (const it of items) {
            const r = def.schema.safeParse(it);
            if (!r.success) throw new Error(`${id}.${k} at ${asOf} fails its schema: ${r.error.message}`);
          }
          ctx[k] = [...(ctx[k] as unknown[]), ...items];
        } else {
          const r = def.schema.safeParse(v);
          if (!r.success) throw new Error(`${id}.${k} at ${asOf} fails its schema: ${r.error.message}`);
          ctx[k] = v;
        }
      }
      return res.outputs;
    };
    for (const id of CONTEXT) runOne(id);
    for (const id of FILTERS) {
      const o = runOne(id);
      const v = (o?.filter_verdicts as { allow: boolean; reason: string }[] | undefined) ?? [];
      expect(v.length, `${id} gives one verdict`).toBe(1);
      rec.verdicts[id] = v[0]!;
    }
    for (const id of AGENTS) {
      const o = runOne(id);
      rec.signals[id] = (o?.signals as BarRecord['signals'][string] | undefined) ?? [];
    }
    for (const id of CONFLUENCE) runOne(id);
    if ((ctx.ideas as unknown[]).length > 0) for (const id of RISK) runOne(id);
    out.push(rec);
  }
  return out;
}

const periods = {
  crash: {
    file: 'binance_BTC-USDT_1h_2020-03.csv',
    start: '2020-03-01T00:00:00Z',
    end: '2020-04-01T00:00:00Z',
    bars: 743,
  },
  range: {
    file: 'binance_BTC-USDT_1h_2023-08.csv',
    start: '2023-08-01T00:00:00Z',
    end: '2023-09-01T00:00:00Z',
    bars: 744,
  },
};
const results: Record<keyof typeof periods, BarRecord[]> = { crash: [], range: [] };

beforeAll(() => {
  const mods = loadModules();
  for (const [name, p] of Object.entries(periods))
    results[name as keyof typeof periods] = walk(mods, p.file, p.start, p.end);
}, 120_000);

const ms = (r: BarRecord) => r.ctx.market_state as { trend: string; regime: string; adx: number };
const vol = (r: BarRecord) => r.ctx.volatility as { atr: number; atr_pct: number; band: string };

describe.each(Object.keys(periods) as (keyof typeof periods)[])('%s period: invariants on every bar', (name) => {
  it('walks every bar of the month, nothing throws, every module ran (no "not enough data" with 300 bars)', () => {
    const rs = results[name];
    expect(rs.length).toBe(periods[name].bars);
    expect(rs.flatMap((r) => Object.keys(r.errors))).toEqual([]);
  });
  it('every signal has its stop on the correct side of entry and every target beyond entry', () => {
    for (const r of results[name]) {
      for (const [id, sigs] of Object.entries(r.signals)) {
        for (const s of sigs) {
          const where = `${id} ${s.direction} at ${r.asOf}`;
          expect(s.targets.length, where).toBeGreaterThan(0);
          if (s.direction === 'long') {
            expect(s.stop, where).toBeLessThan(s.entry);
            for (const t of s.targets) expect(t, where).toBeGreaterThan(s.entry);
          } else {
            expect(s.stop, where).toBeGreaterThan(s.entry);
            for (const t of s.targets) expect(t, where).toBeLessThan(s.entry);
          }
        }
      }
    }
  });
});

const counts = (rs: BarRecord[], f: (r: BarRecord) => string) =>
  rs.reduce<Record<string, number>>((a, r) => ({ ...a, [f(r)]: (a[f(r)] ?? 0) + 1 }), {});
const blocked = (r: BarRecord, id: string) => !r.verdicts[id]!.allow;

describe('March 2020 COVID crash: facts verified on the real candles (default params)', () => {
  const day12 = () =>
    results.crash.filter((r) => r.asOf >= '2020-03-12T11:00:00.000Z' && r.asOf <= '2020-03-13T00:00:00.000Z');

  it('on 2020-03-12 from the 10:00 UTC candle on (as_of 11:00 .. 24:00), trend_volatility_v1 reports trend down, regime volatile, band high', () => {
    const rs = day12();
    expect(rs.length).toBe(14);
    for (const r of rs) {
      expect({ at: r.asOf, trend: ms(r).trend, regime: ms(r).regime, band: vol(r).band }).toEqual({
        at: r.asOf,
        trend: 'down',
        regime: 'volatile',
        band: 'high',
      });
      expect(vol(r).atr_pct).toBeGreaterThan(3.9);
    }
    // Just before the collapse the band is already high but the regime is not yet volatile (ATR% 1.56 < 2).
    const before = results.crash.find((r) => r.asOf === '2020-03-12T10:00:00.000Z')!;
    expect([ms(before).regime, vol(before).band]).toEqual(['trending', 'high']);
    expect(vol(before).atr_pct).toBeCloseTo(1.562, 3);
  });

  it('volatility_band_v1 (default max 3%) blocks on every one of those bars, saying ATR% is above the maximum', () => {
    for (const r of day12()) {
      expect(blocked(r, 'volatility_band_v1'), r.asOf).toBe(true);
      expect(r.verdicts.volatility_band_v1!.reason).toMatch(
        /^block: ATR [\d.]+% .* above maximum 3% of the allowed band \[0\.15%, 3%\]$/,
      );
      expect(blocked(r, 'volatility_liquidity_v1'), r.asOf).toBe(true);
    }
    // In the whole month it blocks 130 bars, always for too much volatility, never for too little.
    const b = results.crash.filter((r) => blocked(r, 'volatility_band_v1'));
    expect(b.length).toBe(130);
    expect(b[0]!.asOf).toBe('2020-03-12T11:00:00.000Z');
    expect(b.every((r) => r.verdicts.volatility_band_v1!.reason.includes('above maximum'))).toBe(true);
  });

  it('ATR% peaks at 10.11% on the candle closing 2020-03-13T05:00Z; no bar of the month is in the low band', () => {
    const peak = results.crash.reduce((a, r) => (vol(r).atr_pct > vol(a).atr_pct ? r : a));
    expect(peak.asOf).toBe('2020-03-13T05:00:00.000Z');
    expect(vol(peak).atr_pct).toBeCloseTo(10.113, 3);
    expect(counts(results.crash, (r) => vol(r).band)).toEqual({ normal: 266, high: 477 });
  });

  it('regimes over the month: 308 volatile, 233 trending, 202 ranging bars', () => {
    expect(counts(results.crash, (r) => ms(r).regime)).toEqual({ volatile: 308, trending: 233, ranging: 202 });
  });

  it('min_liquidity_v1 blocks 267 bars (spread proxy above 0.5%), the first at 2020-03-12T12:00Z; the tier stays high throughout', () => {
    const b = results.crash.filter((r) => blocked(r, 'min_liquidity_v1'));
    expect(b.length).toBe(267);
    expect(b[0]!.asOf).toBe('2020-03-12T12:00:00.000Z');
    expect(b[0]!.verdicts.min_liquidity_v1!.reason).toMatch(/^block: spread proxy 0\.524\d*% above maximum 0\.5%/);
    expect(new Set(results.crash.map((r) => (r.ctx.liquidity as { tier: string }).tier))).toEqual(new Set(['high']));
  });

  it('no confluence idea is formed while the crash is at its worst (as_of 2020-03-12T11:00 .. 2020-03-13T10:00)', () => {
    const rs = results.crash.filter(
      (r) => r.asOf >= '2020-03-12T11:00:00.000Z' && r.asOf <= '2020-03-13T10:00:00.000Z',
    );
    expect(rs.length).toBe(24);
    expect(rs.every((r) => (r.ctx.ideas as unknown[]).length === 0)).toBe(true);
  });

  it('the 5-bar gap of 2020-02-19 in the history is reported by data_health (ok) and data_health_blocker_v1 never blocks', () => {
    expect(results.crash.filter((r) => (r.ctx.data_health as { gaps: number }).gaps > 0).length).toBe(351);
    expect(results.crash.some((r) => blocked(r, 'data_health_blocker_v1'))).toBe(false);
  });

  it('mean_reversion_v1 only fires longs in a ranging regime (7 signals: 2020-03-07 and 2020-03-28)', () => {
    const s = results.crash.flatMap((r) =>
      r.signals.mean_reversion_v1!.map((x) => ({ at: r.asOf.slice(0, 10), dir: x.direction, regime: ms(r).regime })),
    );
    expect(s.length).toBe(7);
    expect(new Set(s.map((x) => `${x.at} ${x.dir} ${x.regime}`))).toEqual(
      new Set(['2020-03-07 long ranging', '2020-03-28 long ranging']),
    );
  });
});

describe('August 2023 quiet range: facts verified on the real candles (default params)', () => {
  it('market_state is mostly ranging (476 of 744 bars, 64%), never volatile', () => {
    const c = counts(results.range, (r) => ms(r).regime);
    expect(c).toEqual({ ranging: 476, trending: 268 });
    expect(c.ranging! / results.range.length).toBeGreaterThan(0.6);
  });

  it('volatility is mostly low: 435 low, 298 normal, 11 high bars; ATR% never above 1.57%', () => {
    expect(counts(results.range, (r) => vol(r).band)).toEqual({ low: 435, normal: 298, high: 11 });
    expect(Math.max(...results.range.map((r) => vol(r).atr_pct))).toBeCloseTo(1.5673, 4);
  });

  it('volatility_band_v1 blocks 63 bars, all for ATR% below the 0.15% minimum (too quiet), none for too much', () => {
    const b = results.range.filter((r) => blocked(r, 'volatility_band_v1'));
    expect(b.length).toBe(63);
    expect(b.every((r) => r.verdicts.volatility_band_v1!.reason.includes('below minimum 0.15%'))).toBe(true);
    expect(b.every((r) => vol(r).band === 'low')).toBe(true);
  });

  it('min_liquidity_v1 and data_health_blocker_v1 never block; the session filter blocks the off-hours bars (93, as in March)', () => {
    expect(results.range.some((r) => blocked(r, 'min_liquidity_v1'))).toBe(false);
    expect(results.range.some((r) => blocked(r, 'data_health_blocker_v1'))).toBe(false);
    expect(results.range.filter((r) => blocked(r, 'session_filter_v1')).length).toBe(93);
    expect(results.crash.filter((r) => blocked(r, 'session_filter_v1')).length).toBe(93);
    for (const r of results.range.filter((r) => blocked(r, 'session_filter_v1')))
      expect((r.ctx.session as { name: string }).name).toBe('off_hours');
  });

  it('mean_reversion_v1 fires 8 longs, all in a ranging regime (2023-08-01, 2023-08-14, 2023-08-31)', () => {
    const s = results.range.flatMap((r) =>
      r.signals.mean_reversion_v1!.map((x) => `${r.asOf.slice(0, 10)} ${x.direction} ${ms(r).regime}`),
    );
    expect(s.length).toBe(8);
    expect(new Set(s)).toEqual(
      new Set(['2023-08-01 long ranging', '2023-08-14 long ranging', '2023-08-31 long ranging']),
    );
  });
});
