import type { Command } from 'commander';
import { closeAllPhrase, parseHaltAction, setHaltAction } from '../../../trading/governance/halt-action.ts';
import { clearEmergencyHalt, haltTrading, resumeTrading } from '../../../trading/governance/halt.ts';
import { cancelAllPhrase, describePanic, panicHalt, panicUnfinished } from '../../../trading/governance/panic.ts';
import { liveBrokerWithPin } from '../../../trading/broker-for.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { systemModeFromEnv, tradingScope } from '../../../trading/scope.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/** `trader halt`, `trader resume`, `trader halt clear`, `trader halt panic` and `trader halt action`: the user's stop controls. */

interface YesFlag extends JsonFlag {
  yes?: boolean;
}

const haltDoc = (
  mode: string,
  s: { halted: boolean; emergency: boolean; halt_reason: string | null },
  changed: boolean,
) => ({
  ok: true,
  mode,
  changed,
  halted: s.halted,
  emergency: s.emergency,
  halt_reason: s.halt_reason,
});

/**
 * `halt` has options and subcommands, so commander hands a `--json` written after
 * `halt clear` to `halt`; the subcommands read their options merged with halt's.
 */
function withHaltOptions<O extends JsonFlag>(fn: (opts: O, ...args: string[]) => Promise<void>) {
  return (...args: unknown[]): Promise<void> => {
    const cmd = args.at(-1) as Command;
    const run = action(async (opts: O) => fn(opts, ...(cmd.processedArgs as string[])));
    return run(cmd.optsWithGlobals<O>());
  };
}

export function registerHaltCommands(program: Command): void {
  const halt = withJson(program.command('halt'))
    .description('halt trading now: no new trades or proposals until `trader resume` (open positions stay monitored)')
    .option('--reason <text>', 'why, kept in the state and the audit trail')
    .option('--yes', 'confirm without asking (for scripts)')
    .addHelpText('after', '\nExample:\n  $ trader halt --reason "exchange maintenance" --yes')
    .action(
      action(async (opts: YesFlag & { reason?: string }) => {
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('halt', (db) => haltTrading(db, scope, opts.reason, askOnTerminal({ yes: opts.yes })));
        output(opts, haltDoc(scope.mode, r.state, r.changed), () =>
          r.changed
            ? `HALTED (${scope.mode}): ${r.state.halt_reason}; lift it with \`trader resume\``
            : `trading was already halted (${r.state.halt_reason})`,
        );
      }),
    );

  withJson(halt.command('clear'))
    .description(
      'clear an emergency (drawdown) halt after your review: asks for the master PIN, then sets the mode to observe',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader halt clear\n  $ trader mode set semi_auto    # afterwards: choose the mode again',
    )
    .action(
      withHaltOptions(async (opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('halt clear', (db) => clearEmergencyHalt(db, scope, askOnTerminal()));
        output(opts, { ...haltDoc(scope.mode, r.state, r.changed), operational_mode: r.state.operational_mode }, () =>
          r.changed
            ? `emergency halt cleared (${scope.mode}); the mode is now observe and the drawdown is measured from the current equity. Choose a mode with \`trader mode set\`.`
            : 'there was no emergency halt to clear',
        );
      }),
    );

  withJson(halt.command('panic'))
    .description(
      'PANIC: halt as an emergency, cancel pending proposals (LIVE: and open orders), and when the emergency halt action is MARKET_CLOSE_ALL_AND_HALT sell every open position at market; asks a typed phrase, and in LIVE the master PIN',
    )
    .option('--reason <text>', 'why, kept in the state and the audit trail')
    .option(
      '--acknowledge <phrase>',
      `the phrase the warning asks for ('${closeAllPhrase}' or '${cancelAllPhrase}') instead of typing it`,
    )
    .addHelpText(
      'after',
      `\nExample:\n  $ trader halt panic --reason "exchange outage"\n  Type ${cancelAllPhrase}: ...\n\nExit codes: 0 halted and the action carried out, 2 a wrong phrase or PIN (nothing halted), 1 LIVE halted but the exchange did not finish (the rest stays pending: the next LIVE run carries on), 4 PIN entry locked.`,
    )
    .action(
      withHaltOptions(async (opts: JsonFlag & { reason?: string; acknowledge?: string }) => {
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('halt panic', (db) =>
          panicHalt(db, scope, {
            reason: opts.reason,
            ask: askOnTerminal({ phrase: opts.acknowledge }),
            openBroker: () => liveBrokerWithPin(db, askOnTerminal()),
          }),
        );
        const unfinished = panicUnfinished(r);
        if (unfinished) throw unfinished;
        output(opts, { ...haltDoc(scope.mode, r.state, true), ...r, state: undefined }, () => describePanic(r));
      }),
    );

  withJson(halt.command('action <action>'))
    .description(
      'what an emergency halt does: HALT_ONLY (default), CANCEL_ORDERS_AND_HALT (also cancels pending proposals), MARKET_CLOSE_ALL_AND_HALT (also closes every position at market)',
    )
    .option(
      '--acknowledge <phrase>',
      `for MARKET_CLOSE_ALL_AND_HALT: the phrase '${closeAllPhrase}' instead of typing it`,
    )
    .addHelpText(
      'after',
      `\nExample:\n  $ trader halt action CANCEL_ORDERS_AND_HALT\n  $ trader halt action MARKET_CLOSE_ALL_AND_HALT --acknowledge '${closeAllPhrase}'`,
    )
    .action(
      withHaltOptions(async (opts: JsonFlag & { acknowledge?: string }, raw: string) => {
        const target = parseHaltAction(raw);
        const scope = tradingScope(systemModeFromEnv());
        const state = await withDb('halt action', (db) =>
          setHaltAction(db, scope, target, askOnTerminal({ phrase: opts.acknowledge })),
        );
        output(
          opts,
          {
            ok: true,
            mode: scope.mode,
            emergency_halt_action: state.emergency_halt_action,
            close_all_acknowledged_at: state.close_all_acknowledged_at,
          },
          () => `emergency halt action is now ${state.emergency_halt_action} (${scope.mode})`,
        );
      }),
    );

  withJson(program.command('resume'))
    .description('lift a manual halt (an emergency halt needs `trader halt clear`)')
    .option('--yes', 'confirm without asking (for scripts)')
    .addHelpText('after', '\nExample:\n  $ trader resume --yes')
    .action(
      action(async (opts: YesFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('resume', (db) => resumeTrading(db, scope, askOnTerminal({ yes: opts.yes })));
        output(opts, haltDoc(scope.mode, r.state, r.changed), () =>
          r.changed ? `trading resumed (${scope.mode}, ${r.state.operational_mode} mode)` : 'trading was not halted',
        );
      }),
    );
}
