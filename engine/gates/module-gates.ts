import fs from 'node:fs';
import path from 'node:path';
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
import { causalityProblem } from './causality-gate.ts';
import { sameResult } from './compare-results.ts';
import { contractBreaches, type ContractBreach } from './contract-gate.ts';
import { buildHarness, evaluate, gateSample, type Evaluation, type Harness } from './gate-harness.ts';

/**
 * The registration gates: before a module may be active, it is run on the shipped
 * sample history at bar closes spread over the year and must
 * - keep its contract: with the whole history behind it, never throw, return its declared
 *   outputs valid by their schemas (not a Promise, not null) and read only the context
 *   keys it declares (contract-gate.ts);
 * - be deterministic: two runs on the same input give the same output and rationale;
 * - be free of look-ahead: it reads nothing past the decision time, and its output on a
 *   growing replay view equals its output on candles cut at the bar;
 * - when it has a `prepare`, prepare causal columns (causality-gate.ts);
 * - have a bounded warm-up: the history it needs before its result stops depending on
 *   older data (compare-results.ts), at least as far back as it reads (read-depth.ts),
 *   within the ladder.
 */

/** Windows tried for the warm-up, in bars (and, between them, how far back the module reads). */
export const warmupLadder = [25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000] as const;
export const gateSampleName = 'BTC/USDT 1h 2024 (data/sample), macro 2023-2024';
/** Bar closes the module is judged at, spread over every bar of 2024 with FULL bars behind it (determinism and look-ahead at every other one). */
const SAMPLES = 12;
/** History behind each judged bar: longer than the longest window tried, so "all the history" is the reference. */
const FULL = 3000;

let macroIndex: ReturnType<typeof indexMacroPoints> | undefined;
function sampleMacro(asOfMs: number): Macro | null {
  macroIndex ??= indexMacroPoints(
    parseMacroCsv(fs.readFileSync(path.join(sampleDataDir, 'macro', 'coingecko_dominance_daily_2023_2024.csv'), 'utf8'))
      .points,
  );
  const { derive, lookbackDays } = resolveMacroOptions({});
  const raw = selectMacroAsOf(macroIndex, asOfMs, lookbackDays);
  return raw ? deriveMacro(raw, new Date(asOfMs), derive) : null;
}

function cut(s: z.infer<typeof CandleSeries>, from: number, to: number): z.infer<typeof CandleSeries> {
  const c = (a: number[]) => a.slice(from, to);
  return { ...s, ts: c(s.ts), open: c(s.open), high: c(s.high), low: c(s.low), close: c(s.close), volume: c(s.volume) };
}

/** One judged bar close: where the view ends (exclusive), its time, and the module's result with all the history. */
interface JudgedBar {
  end: number;
  at: string;
  macro: Macro | null;
  full: Evaluation;
}

/** Ends of the judged views, newest first, evenly spread over the bars that have FULL bars of history. */
function judgedEnds(n: number): number[] {
  return Array.from({ length: SAMPLES }, (_, i) => n - 1 - Math.floor((i * (n - 1 - FULL)) / SAMPLES));
}

/**
 * The warm-up: at every judged bar, the shortest window (on the ladder, or exactly how
 * far back the module reads) whose result equals the full history's, tried from the
 * shortest up (a result that equals the full one at window w, numbers to 1e-12, does so
 * at longer windows: seed errors only decay), and never less than how far back it reads.
 * Null when even the longest differs.
 */
function measureWarmup(h: Harness, bars: JudgedBar[], readDepth: number | null): number | null {
  const s = gateSample();
  const longest = warmupLadder.at(-1)!;
  const exact = readDepth !== null && readDepth > warmupLadder[0] && readDepth < longest ? [readDepth] : [];
  const windows = [...new Set([...warmupLadder, ...exact])].sort((a, b) => a - b);
  let needed = 0; // index in windows of the longest window some bar needed so far
  for (const bar of bars) {
    while (
      needed < windows.length &&
      !sameResult(evaluate(h, fixedCandles(cut(s, bar.end - windows[needed]!, bar.end)), bar.macro), bar.full)
    )
      needed++;
    if (needed === windows.length) return null;
  }
  return Math.max(windows[needed]!, readDepth ?? 0);
}

export function runModuleGates(target: LoadedModule, available: readonly LoadedModule[]): GateReport {
  const s = gateSample();
  const h = buildHarness(target, available);
  const reasons: string[] = [];
  let deterministic = true;
  let lookaheadFree = true;
  const breaches = new Set<ContractBreach>();
  const bars: JudgedBar[] = [];
  for (const [i, end] of judgedEnds(s.ts.length).entries()) {
    const asOfMs = s.ts[end - 1]! + 3_600_000;
    const at = new Date(asOfMs).toISOString();
    const macro = sampleMacro(asOfMs);
    // One series for both runs: the indicator cache computes its indicators once (the module still runs twice).
    const history = cut(s, end - FULL, end);
    const full = evaluate(h, fixedCandles(history), macro);
    for (const b of contractBreaches(full, at, target.manifest.input_keys)) {
      if (breaches.has(b.breach)) continue;
      breaches.add(b.breach);
      reasons.push(b.sentence);
    }
    bars.push({ end, at, macro, full });
    // Determinism and look-ahead cost two more full-history runs: every other judged bar.
    if (i % 2 === 1) continue;
    const again = evaluate(h, fixedCandles(history), macro);
    if (full.text !== again.text && deterministic) {
      deterministic = false;
      reasons.push(`not deterministic: two runs at ${at} on the same input gave different results`);
    }
    const replayed = evaluate(h, asOfCandles(s, end - FULL, end).view, macro);
    const peek = full.lookahead ?? replayed.lookahead;
    if (lookaheadFree && (peek || replayed.text !== full.text)) {
      lookaheadFree = false;
      reasons.push(
        `looks ahead: ${peek ?? `at ${at} its output on the replay view differs from its output on candles cut at the bar`}`,
      );
    }
  }
  if (target.prepare) {
    const at = (i: number) => new Date(s.ts[i]!).toISOString();
    const problem = causalityProblem(target.prepare, h.target.params, s, at);
    if (problem) {
      lookaheadFree = false;
      reasons.push(problem);
    }
  }
  const depths = bars.map((b) => b.full.readDepth);
  const readDepth = depths.includes(null) ? null : Math.max(0, ...(depths as number[]));
  const warmup = measureWarmup(h, bars, readDepth);
  if (warmup === null)
    reasons.push(
      `its output still depends on candles older than ${warmupLadder.at(-1)} bars, so no history window reproduces it`,
    );
  return {
    status: reasons.length === 0 ? 'passed' : 'failed',
    checked_at: new Date().toISOString(),
    sample: gateSampleName,
    bars_evaluated: SAMPLES,
    contract_kept: breaches.size === 0,
    deterministic,
    lookahead_free: lookaheadFree,
    warmup_bars: warmup,
    read_depth_bars: readDepth,
    producers: h.producers.map((p) => `${p.module_id}@${p.version}`),
    unproduced_inputs: h.unproduced,
    reasons,
  };
}
