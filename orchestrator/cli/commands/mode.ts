import type { Command } from 'commander';
import { parseOperationalMode, setOperationalMode } from '../../../trading/governance/operational-mode.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { systemModeFromEnv, tradingScope } from '../../../trading/scope.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

export function registerModeCommands(program: Command): void {
  const mode = program
    .command('mode')
    .description('the operational mode: observe (never trades), semi_auto (you approve proposals), full_auto');

  withJson(mode.command('set <mode>'))
    .description(
      'switch the operational mode (observe, semi_auto, full_auto); raising autonomy asks for confirmation, lowering never does',
    )
    .option('--yes', 'confirm without asking (for scripts)')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader mode set semi-auto\n  $ trader mode set observe\n\n`trader status` shows the current mode.',
    )
    .action(
      action(async (raw: string, opts: JsonFlag & { yes?: boolean }) => {
        const target = parseOperationalMode(raw);
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('mode set', (db) =>
          setOperationalMode(db, scope, target, askOnTerminal({ yes: opts.yes })),
        );
        output(opts, { ok: true, mode: scope.mode, from: r.from, to: r.to, changed: r.changed }, () =>
          r.changed
            ? `operational mode ${r.from} -> ${r.to} (${scope.mode})`
            : `operational mode is already ${r.to} (${scope.mode})`,
        );
      }),
    );
}
