import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { GateReport } from '../../registry/gate-report.ts';
import { sampleDataDir } from '../../core/paths.ts';
import { resolveMacroOptions } from '../../market/macro/build-macro-context.ts';
import { deriveMacro } from '../../market/macro/derive.ts';
import { parseMacroCsv } from '../../market/macro/import-macro-csv.ts';
import { indexMacroPoints, selectMacroAsOf } from '../../market/macro/macro-select.ts';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import type { Macro } from '../../sdk/macro-schema.ts';
import type { LoadedModule } from '../loader/module-loader.ts';
import { asOfCandles, fixedCandles } from '../run/as-of-view.ts';
import { buildHarness, evaluate, gateSample, type Evaluation } from './gate-harness.ts';

/**
 * The registration gates: before a module may be active, it is run on the shipped
 * sample history at a spread of bar closes and must be
 * - deterministic: two runs on the same input give the same output and rationale;
 * - free of look-ahead: it reads nothing past the decision time, and its output on a
 *   growing replay view equals its output on candles cut at the bar;
 * - of bounded warm-up: the history it needs before its output stops depending on
 *   older data is measured (the shortest window on the ladder whose outputs equal the
 *   full history's, numbers to 1e-9 relative), and must be within the ladder.
 */

/** Windows tried for the warm-up, in bars. */
export const warmupLadder = [25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000] as const;
/** Bar closes the module is judged at, spread over the last 1,500 bars of 2024. */
const SAMPLES = 4;
/** History behind each judged bar: longer than the longest window tried, so "all the history" is the reference. */
const FULL = 3000;

let macroIndex: ReturnType<typeof indexMacroPoints> | undefined;
function sampleMacro(asOfMs: number): Macro | null {
  macroIndex ??= indexMacroPoints(parseMacroCsv(fs.readFileSync(path.join(sampleDataDir, 'macro', 'coingecko_dominance_daily_2023_2024.csv'), 'utf8')).points);
  const { derive, lookbackDays } = resolveMacroOptions({});
  const raw = selectMacroAsOf(macroIndex, asOfMs, lookbackDays);
  return raw ? deriveMacro(raw, new Date(asOfMs), derive) : null;
}

function cut(s: z.infer<typeof CandleSeries>, from: number, to: number): z.infer<typeof CandleSeries> {
  const c = (a: number[]) => a.slice(from, to);
  return { ...s, ts: c(s.ts), open: c(s.open), high: c(s.high), low: c(s.low), close: c(s.close), volume: c(s.volume) };
}

/** Equal outputs, numbers within 1e-9 relative (indicators seeded on a shorter window converge, they never match to the last bit). */
function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return isDeepStrictEqual(ka, Object.keys(b)) && ka.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

const same = (x: Evaluation, y: Evaluation) => x.status === y.status && (x.status === 'ok' ? close(x.outputs, y.outputs) : x.text === y.text);

export function runModuleGates(target: LoadedModule, available: readonly LoadedModule[]): GateReport {
  const s = gateSample();
  const h = buildHarness(target, available);
  const n = s.ts.length;
  const reasons: string[] = [];
  let deterministic = true;
  let lookaheadFree = true;
  const differsAt = new Set<number>();
  for (let i = 0; i < SAMPLES; i++) {
    const end = n - 1 - Math.floor((i * 1500) / SAMPLES);
    const asOfMs = s.ts[end - 1]! + 3_600_000;
    const macro = sampleMacro(asOfMs);
    const full = evaluate(h, fixedCandles(cut(s, end - FULL, end)), macro);
    const again = evaluate(h, fixedCandles(cut(s, end - FULL, end)), macro);
    if (full.text !== again.text && deterministic) {
      deterministic = false;
      reasons.push(`not deterministic: two runs at ${new Date(asOfMs).toISOString()} on the same input gave different results`);
    }
    const replayed = evaluate(h, asOfCandles(s, end - FULL, end).view, macro);
    const peek = full.lookahead ?? replayed.lookahead;
    if (lookaheadFree && (peek || replayed.text !== full.text)) {
      lookaheadFree = false;
      reasons.push(`looks ahead: ${peek ?? `at ${new Date(asOfMs).toISOString()} its output on the replay view differs from its output on candles cut at the bar`}`);
    }
    for (const w of warmupLadder) if (!same(evaluate(h, fixedCandles(cut(s, end - w, end)), macro), full)) differsAt.add(w);
  }
  const longestDiffering = Math.max(0, ...differsAt);
  const warmup = longestDiffering === 0 ? warmupLadder[0] : (warmupLadder.find((w) => w > longestDiffering) ?? null);
  if (warmup === null) reasons.push(`its output still depends on candles older than ${warmupLadder.at(-1)} bars, so no history window reproduces it`);
  return {
    status: reasons.length === 0 ? 'passed' : 'failed', checked_at: new Date().toISOString(), sample: 'BTC/USDT 1h 2024 (data/sample), macro 2023-2024',
    bars_evaluated: SAMPLES, deterministic, lookahead_free: lookaheadFree, warmup_bars: warmup,
    producers: h.producers.map((p) => `${p.module_id}@${p.version}`), unproduced_inputs: h.unproduced, reasons,
  };
}
