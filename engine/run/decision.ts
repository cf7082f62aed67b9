import type { z } from 'zod';
import type { Intent } from '../../sdk/context-schemas.ts';
import type { SymbolRun } from './symbol-runner.ts';
import type { SymbolOutcome } from './run-types.ts';

type Rationale = { module_id: string; stage: string; text: string };

/** Ten significant digits: enough for any price or quantity, without float noise like 67341.23595936406. */
const num = (n: number) => String(Number(n.toPrecision(10)));

/** The last rationale of a stage, which explains why the pipeline stopped producing there. */
function lastWord(rationales: readonly Rationale[], stage: string): string | undefined {
  const r = [...rationales].reverse().find((x) => x.stage === stage);
  return r && `${r.module_id}: ${r.text}`;
}

/** Sums up what the pipeline decided for a symbol, and why, from its final context. */
export function decide(symbol: string, run: SymbolRun): SymbolOutcome {
  const ctx = run.context;
  const signals = (ctx.signals as unknown[] | undefined)?.length ?? 0;
  const ideas = (ctx.ideas as unknown[] | undefined)?.length ?? 0;
  const intents = (ctx.intents as z.infer<typeof Intent>[] | undefined) ?? [];
  const rationales = (ctx.rationales as Rationale[] | undefined) ?? [];
  const base = { symbol, signals, ideas, intents, modules_run: run.modulesRun };
  if (run.stoppedBy)
    return {
      ...base,
      outcome: 'error',
      reason: `${run.stoppedBy.module_id} failed (${run.stoppedBy.policy}): ${run.stoppedBy.message}`,
    };
  if (run.blockedBy)
    return { ...base, outcome: 'blocked', reason: `${run.blockedBy.module_id}: ${run.blockedBy.reason}` };
  if (intents.length > 0) {
    const i = intents[0]!;
    const targets = i.take_profits.map((t) => num(t.price)).join(' / ');
    return {
      ...base,
      outcome: 'trade_intent',
      reason: `${i.side} ${num(i.qty)} ${symbol} at ${num(i.entry)}, stop ${num(i.stop)}, targets ${targets}, risking ${i.risk_pct.toFixed(2)}% (${num(i.risk_amount)} ${symbol.split('/')[1]}) per ${i.source}`,
    };
  }
  const why =
    signals === 0
      ? (lastWord(rationales, 'agent') ?? 'no agent produced a signal')
      : ideas === 0
        ? (lastWord(rationales, 'confluence') ?? 'no confluence module confirmed the signals')
        : (lastWord(rationales, 'risk') ?? 'no risk module sized the idea');
  return { ...base, outcome: 'no_trade', reason: why };
}
