import { canonical } from '../../core/canonical.ts';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../../store/db.ts';
import { CandleSeries, DataHealth, Instrument, Positions, RunInfo } from '../../sdk/context-schemas.ts';
import { Macro } from '../../sdk/macro-schema.ts';
import type { Plan } from '../plan/plan-types.ts';

/**
 * What a run records per symbol so that `trader parity` (backtest/parity/) can re-decide
 * the same bar later and, when the replay decides differently, say why: the candles the
 * modules were handed (a hash, not the candles), the plan (module files and merged params)
 * and every other input of the decision (run_fingerprints, one row per run and symbol).
 */

/** Bars per chunk hash: small enough to name the bars that changed, few enough to stay a short list. */
export const CHUNK_BARS = 24;

export const CandlePrint = z.object({
  bars: z.number().int().nonnegative(),
  first_ts: z.number().nullable().describe('open time (ms) of the oldest bar'),
  last_ts: z.number().nullable().describe('open time (ms) of the newest closed bar'),
  sha256: z.string().describe('sha256 of ts, open, high, low, close, volume as float64, in that order'),
  chunks: z.array(z.string()).describe(`a short hash per ${CHUNK_BARS} bars, oldest first`),
});
export type CandlePrint = z.infer<typeof CandlePrint>;

export const SlotPrint = z.object({
  module_id: z.string(),
  version: z.string(),
  stage: z.string(),
  sha256: z.string().describe("the module file's sha256 as loaded"),
  graph_sha256: z.string().describe('sha256 of its pinned import graph (the files it imports)'),
  params: z.record(z.string(), z.unknown()).describe('merged params (registry defaults, pipeline, strategy, asset)'),
  shadow: z.boolean(),
  when: z.unknown().describe('its run_when condition, null when it always runs'),
});
export type SlotPrint = z.infer<typeof SlotPrint>;

export const PlanPrint = z.object({
  pipeline_id: z.string(),
  strategy_id: z.string().nullable(),
  strategy_version: z.number().int().nullable(),
  slots: z.array(SlotPrint),
});
export type PlanPrint = z.infer<typeof PlanPrint>;

/** Which candles the run loaded, and how it judged their health. */
export const WindowPrint = z.object({
  source: z.string().describe('the exchange whose cached candles were read'),
  history_bars: z.number().int(),
  min_bars: z.number().int(),
  max_age_bars: z.number().int(),
});
export type WindowPrint = z.infer<typeof WindowPrint>;

/** The decision's inputs but its candles: backtest/decide-bar.ts BarInputs, as recorded. */
export const InputsPrint = z.object({
  run: RunInfo,
  instrument: Instrument,
  macro: Macro.nullable(),
  account: z.object({ equity: z.number(), free_balance: z.number(), positions: Positions }),
  max_risk_pct: z.number(),
  max_leverage: z.number(),
  costs: z.object({ fee_rate: z.number(), slippage_rate: z.number() }),
  data_health: DataHealth,
});
export type InputsPrint = z.infer<typeof InputsPrint>;

export const RunFingerprint = z.object({
  version: z.literal(1),
  plan: PlanPrint,
  window: WindowPrint,
  /** null: no candles could be loaded (then data_error says why). */
  candles: CandlePrint.nullable(),
  /** null: the data blocked the symbol before any module ran, or could not be loaded. */
  inputs: InputsPrint.nullable(),
  data_error: z.string().nullable(),
});
export type RunFingerprint = z.infer<typeof RunFingerprint>;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

const columns = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Bars from..to of the six columns as float64 bytes, column after column. */
function bytes(s: z.infer<typeof CandleSeries>, from: number, to: number): Buffer {
  const n = to - from;
  const out = new Float64Array(n * columns.length);
  for (const [c, col] of columns.entries()) for (let i = 0; i < n; i++) out[c * n + i] = s[col][from + i]!;
  return Buffer.from(out.buffer);
}

/** One hash over the candles, and one short hash per chunk: one pass of hashing per symbol and run. */
export function candlePrint(s: z.infer<typeof CandleSeries>): CandlePrint {
  const n = s.ts.length;
  const chunks: string[] = [];
  for (let from = 0; from < n; from += CHUNK_BARS)
    chunks.push(sha256(bytes(s, from, Math.min(n, from + CHUNK_BARS))).slice(0, 16));
  return {
    bars: n,
    first_ts: n > 0 ? s.ts[0]! : null,
    last_ts: n > 0 ? s.ts[n - 1]! : null,
    sha256: sha256(bytes(s, 0, n)),
    chunks,
  };
}

/** The plan as it ran: which module files, with which params, under which strategy version. */
export function planPrint(plan: Plan): PlanPrint {
  return {
    pipeline_id: plan.pipeline_id,
    strategy_id: plan.strategy_id,
    strategy_version: plan.strategy_version ?? null,
    slots: plan.slots.map((s) => ({
      module_id: s.module_id,
      version: s.version,
      stage: s.stage,
      sha256: s.module.sha256,
      graph_sha256: sha256(canonical(s.module.graph)),
      params: s.params,
      shadow: s.shadow,
      when: s.when,
    })),
  };
}

/** Written in the symbol's transaction, with its decision log. */
export async function recordFingerprint(
  q: Queryable,
  runId: string,
  symbol: string,
  print: RunFingerprint,
): Promise<void> {
  await q.query('insert into run_fingerprints (run_id, symbol, recorded) values ($1, $2, $3)', [runId, symbol, print]);
}
