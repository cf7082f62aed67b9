import type { HaltAction } from '../trading/state-repo.ts';
import type { BarDecision } from './decide-bar.ts';

/** Per-symbol counts of what the pipeline decided over the replay. */
export interface SymbolTally {
  decisions: Record<BarDecision['outcome']['outcome'], number>;
  refused: number;
  skipped: number;
}

export interface ModuleErrorTally {
  module_id: string;
  count: number;
  lookahead: number;
  first: string;
}

/** Counts of what happened during a replay, beyond the trades: decisions, refusals, errors, same-bar resolutions, the halt. */
export class ReplayTally {
  readonly symbols = new Map<string, SymbolTally>();
  readonly refusalReasons = new Map<string, number>();
  readonly skipReasons = new Map<string, number>();
  readonly moduleErrors = new Map<string, ModuleErrorTally>();
  readonly sameBarResolved = { finer: 0, stop_first: 0 };
  exposedBars = 0;
  barsEvaluated = 0;
  halt: { at: number; drawdown_pct: number; action: HaltAction } | null = null;

  private of(symbol: string): SymbolTally {
    let t = this.symbols.get(symbol);
    if (!t)
      this.symbols.set(
        symbol,
        (t = { decisions: { trade_intent: 0, no_trade: 0, blocked: 0, error: 0, not_run: 0 }, refused: 0, skipped: 0 }),
      );
    return t;
  }

  decision(symbol: string, d: BarDecision): void {
    this.barsEvaluated++;
    this.of(symbol).decisions[d.outcome.outcome]++;
    for (const e of d.errors) {
      const m = this.moduleErrors.get(e.module_id) ?? {
        module_id: e.module_id,
        count: 0,
        lookahead: 0,
        first: e.message,
      };
      m.count++;
      if (e.lookahead) m.lookahead++;
      this.moduleErrors.set(e.module_id, m);
    }
  }

  refused(symbol: string, reasons: readonly string[]): void {
    this.of(symbol).refused++;
    // Count by rule text without its numbers, so "risk 1.2% > 1%" and "risk 1.3% > 1%" group together.
    for (const r of reasons) bump(this.refusalReasons, r.replace(/-?\d[\d.,e+-]*/g, '#'));
  }

  skipped(symbol: string, reason: string): void {
    this.of(symbol).skipped++;
    bump(this.skipReasons, reason.replace(/-?\d[\d.,e+-]*/g, '#'));
  }

  sameBar(resolved: 'finer' | 'stop_first'): void {
    this.sameBarResolved[resolved]++;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
