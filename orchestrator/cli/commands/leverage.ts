import type { Command } from 'commander';
import { disableLeverage, enableLeverage } from '../../../trading/governance/leverage.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { systemModeFromEnv, tradingScope } from '../../../trading/scope.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

export function registerLeverageCommands(program: Command): void {
  const leverage = program
    .command('leverage')
    .description('leverage (high risk profile only): multi-stage activation, one-step deactivation');

  withJson(leverage.command('enable'))
    .description(
      'enable leverage: needs the high profile with allow_leverage, the typed phrase CONFIRM LEVERAGE after the risk warning, and the master PIN',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader leverage enable\n\nPiped, stdin gives one line per question, in order: the phrase, then the PIN:\n  $ printf "CONFIRM LEVERAGE\\n%s\\n" "$PIN" | trader leverage enable',
    )
    .action(
      action(async (opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('leverage enable', (db) => enableLeverage(db, scope, askOnTerminal()));
        output(
          opts,
          { ok: true, mode: scope.mode, leverage_enabled: true, changed: r.changed, max_leverage: r.max_leverage },
          () =>
            r.changed
              ? `!!! LEVERAGE ACTIVE (max ${r.max_leverage}x) !!! (${scope.mode}); turn it off with \`trader leverage disable\``
              : `leverage was already enabled (max ${r.max_leverage}x)`,
        );
      }),
    );

  withJson(leverage.command('disable'))
    .description('disable leverage at once (no confirmation: lowering risk is never made hard)')
    .addHelpText('after', '\nExample:\n  $ trader leverage disable')
    .action(
      action(async (opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('leverage disable', (db) => disableLeverage(db, scope));
        output(opts, { ok: true, mode: scope.mode, leverage_enabled: false, changed: r.changed }, () =>
          r.changed ? `leverage disabled (${scope.mode})` : 'leverage was not enabled',
        );
      }),
    );
}
