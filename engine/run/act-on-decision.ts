import type { z } from 'zod';
import type { ExitRequest } from '../../sdk/context-schemas.ts';
import { logger } from '../../core/logger.ts';
import type { Queryable } from '../../store/db.ts';
import { actOnExits, type ExitAction } from '../../trading/engine/act-on-exits.ts';
import { actOnIntents, describeAction, type IntentSource } from '../../trading/engine/act-on-intents.ts';
import { assumeTradingRole, type TradingScope } from '../../trading/scope.ts';
import { loadState } from '../../trading/state-repo.ts';
import { writeSymbolLogs } from './run-log.ts';
import type { LogEntry, SymbolOutcome } from './run-types.ts';

function describeExit(e: ExitAction): string {
  if (e.action === 'closed') return `CLOSED position ${e.position_id} at ${e.fill_price}: ${e.reason}`;
  if (e.action === 'sent') return `CLOSING position ${e.position_id} at market on the exchange: ${e.reason}`;
  if (e.action === 'failed') return `CLOSE of position ${e.position_id} not completed: ${e.problem ?? e.reason}`;
  if (e.action === 'recorded')
    return `EXIT REQUESTED for position ${e.position_id} (not executed here; \`trader paper close ${e.position_id}\` in TEST, \`trader live close ${e.position_id}\` in LIVE): ${e.reason}`;
  return `exit request for position ${e.position_id} ignored: it is not open`;
}

/**
 * After a symbol is decided, inside the transaction that wrote its logs: drops to the
 * mode's role, locks the account's state row and lets the trading engine act on the
 * intents and exit requests, then logs what it did. Fills `outcome.actions` and `outcome.exits`.
 */
export async function actOnDecision(
  tx: Queryable,
  scope: TradingScope,
  o: { run_id: string; outcome: SymbolOutcome; exits: readonly z.infer<typeof ExitRequest>[]; source: IntentSource },
): Promise<void> {
  const { outcome, exits } = o;
  if (outcome.intents.length === 0 && exits.length === 0) return;
  await assumeTradingRole(tx, scope);
  // Symbols of a distributed run are decided at once on several workers: each takes the
  // account's state row first, so the risk gate's exposure and position checks see every
  // other symbol's committed orders (no two pass on the same room), in a consistent lock order.
  await loadState(tx, scope, { forUpdate: true });
  const log = (message: string, outputs: unknown): LogEntry => ({
    symbol: outcome.symbol,
    stage: null,
    module_id: null,
    module_version: null,
    level: 'info',
    event: 'trading',
    message,
    rationale: null,
    outputs,
    context_snapshot: null,
    duration_ms: null,
  });
  const logs: LogEntry[] = [];
  if (exits.length > 0) {
    outcome.exits = await actOnExits(tx, scope, exits, {
      run_id: o.run_id,
      as_of: o.source.as_of,
      live: o.source.live_broker !== undefined,
    });
    logs.push(...outcome.exits.map((e) => log(describeExit(e), { exit: e })));
  }
  if (outcome.intents.length > 0) {
    outcome.actions = await actOnIntents(tx, scope, outcome.intents, o.source);
    logs.push(...outcome.actions.map((a) => log(describeAction(a, scope.mode), { action: a })));
  }
  await writeSymbolLogs(tx, o.run_id, logs, []);
  for (const l of logs) logger.info({ run_id: o.run_id, symbol: outcome.symbol, mode: scope.mode }, l.message);
}
