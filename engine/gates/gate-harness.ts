import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { sampleDataDir } from '../../core/paths.ts';
import { parseCandleCsv } from '../../market/csv-candles.ts';
import { checkDataHealth } from '../../market/data-health.ts';
import { stageOrder } from '../../sdk/stages.ts';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import type { Macro } from '../../sdk/macro-schema.ts';
import type { LoadedModule } from '../loader/module-loader.ts';
import type { PlannedSlot } from '../plan/plan-types.ts';
import { cachedIndicators } from '../run/indicator-cache.ts';
import { coreContext } from '../run/initial-context.ts';
import { runSymbol } from '../run/symbol-runner.ts';
import { runWatched } from './watched-call.ts';

/**
 * The test bench a module is put on when it is registered: real shipped history (BTC/USDT
 * 1h, 2024), the core context a run would build at a bar close, and the registered
 * producers of the module's other inputs run before it, as a pipeline would.
 */

const HOUR = 3_600_000;
const coreKeys = new Set(['run', 'symbol', 'instrument', 'candles', 'data_health', 'macro', 'portfolio', 'positions']);

let sample: z.infer<typeof CandleSeries> | undefined;

/** The shipped sample the gates run on, parsed once per process. */
export function gateSample(): z.infer<typeof CandleSeries> {
  sample ??= {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    ...parseCandleCsv(fs.readFileSync(path.join(sampleDataDir, 'binance_BTC-USDT_1h_2024.csv'), 'utf8'), {
      timeframe: '1h',
    }),
  };
  return sample;
}

const instrument = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  category: 'major',
  price_precision: 2,
  amount_precision: 5,
  tick_size: 0.01,
  min_qty: 0.00001,
  min_notional: 5,
};
const account = {
  system_mode: 'TEST' as const,
  equity: 10_000,
  currency: 'USDT',
  source: 'registration gate: a fresh 10,000 USDT paper account',
  max_risk_pct: 1,
  free_balance: 10_000,
  max_leverage: 1,
};

export interface Harness {
  /** Producers run first, in stage order, then the module under test. */
  producers: PlannedSlot[];
  target: PlannedSlot;
  /** Inputs no registered module produces; the module is judged with them absent. */
  unproduced: string[];
}

const rank = (m: LoadedModule) => stageOrder.indexOf(m.manifest.logic_type);

const slotOf = (m: LoadedModule): PlannedSlot => ({
  stage: m.manifest.logic_type,
  module_id: m.row.module_id,
  version: m.manifest.version,
  params: m.manifest.params.parse(m.row.params ?? {}) as Record<string, unknown>,
  when: null,
  shadow: false,
  on_error: 'skip_module',
  limit_ms: null,
  module: m,
});

/** For each input the module needs beyond the core keys, the first registered module (by stage) that writes it, recursively. */
export function buildHarness(target: LoadedModule, available: readonly LoadedModule[]): Harness {
  const chosen = new Map<string, LoadedModule>();
  const unproduced = new Set<string>();
  const need = (keys: readonly string[], seen: Set<string>) => {
    for (const key of keys) {
      if (coreKeys.has(key) || seen.has(key)) continue;
      seen.add(key);
      const producer = [...available]
        .filter((m) => m.row.module_id !== target.row.module_id && m.manifest.output_keys.includes(key as never))
        .sort((a, b) => rank(a) - rank(b) || a.row.module_id.localeCompare(b.row.module_id))[0];
      if (!producer) {
        unproduced.add(key);
        continue;
      }
      if (!chosen.has(producer.row.module_id)) {
        chosen.set(producer.row.module_id, producer);
        need(producer.manifest.input_keys, seen);
      }
    }
  };
  need(target.manifest.input_keys, new Set());
  const producers = [...chosen.values()].sort((a, b) => rank(a) - rank(b)).map(slotOf);
  return { producers, target: slotOf(target), unproduced: [...unproduced] };
}

/** What the module did at one bar: outputs and rationale, or how it failed; `text` says it all, exactly. */
export interface Evaluation {
  status: 'ok' | 'error' | 'violation' | 'skipped';
  outputs: unknown;
  rationale: string | null;
  text: string;
  lookahead: string | null;
  /** Context keys it read without declaring them. */
  undeclaredReads: string[];
  /** Bars back from the decision it read; null: from the first bar it was given. */
  readDepth: number | null;
  /** The SDK indicator values it read, flat: bars back from the newest, value, ... */
  indicatorValues: number[];
}

/** Runs the harness at the close of the view's last candle and returns the module's own result. */
export function evaluate(h: Harness, candles: z.infer<typeof CandleSeries>, macro: Macro | null): Evaluation {
  const n = candles.ts.length;
  const asOfMs = candles.ts[n - 1]! + HOUR;
  const run = {
    run_id: '00000000-0000-4000-8000-000000000000',
    pipeline_id: 'gate',
    strategy_id: null,
    system_mode: 'TEST' as const,
    operational_mode: 'observe' as const,
    risk_profile: 'medium' as const,
    exchange: 'binance',
    timeframe: '1h',
    as_of: new Date(asOfMs).toISOString(),
    trigger: 'gate',
  };
  const data_health = checkDataHealth(candles, {
    timeframeMs: HOUR,
    asOfMs,
    minBars: Math.min(n, 100),
    fromIndex: Math.max(0, n - 500),
  });
  const initial = coreContext(
    {
      run,
      symbol: 'BTC/USDT',
      instrument,
      candles,
      data_health,
      macro,
      portfolio: account,
      positions: { open: [], recent_closed: [] },
    },
    [],
  );
  const before = runSymbol(
    { pipeline_id: 'gate', strategy_id: null, symbol: null, slots: h.producers },
    'BTC/USDT',
    initial,
    { indicators: cachedIndicators },
    { trace: false },
  );
  const r = runWatched(h.target, before.context);
  const lookahead = r.status === 'error' && r.error.name === 'LookaheadError' ? r.error.message : null;
  const watch = {
    lookahead,
    undeclaredReads: r.undeclaredReads,
    readDepth: r.readDepth,
    indicatorValues: r.indicatorValues,
  };
  if (r.status === 'ok')
    return {
      status: 'ok',
      outputs: r.outputs,
      rationale: r.rationale,
      text: JSON.stringify([r.outputs, r.rationale]),
      ...watch,
    };
  const failed = { outputs: null, rationale: null, ...watch };
  if (r.status === 'error') return { status: 'error', text: `error: ${r.error.message}`, ...failed };
  if (r.status === 'violation')
    return { status: 'violation', text: `violation: ${r.violations.join('; ')}`, ...failed };
  return { status: 'skipped', text: `missing ${r.missing.join(', ')}`, ...failed };
}
