import { Command } from 'commander';
import { traderVersion } from '../../core/paths.ts';
import { quote } from '../../core/quote.ts';

/** Commander's usage error as one line: what it quotes of the arguments (an unknown command or option) shortened. */
export function usageError(text: string): string {
  return text
    .trimEnd()
    .replace(/^error: /, '')
    .replace(/'([^']*)'/g, (_, inner: string) => quote(inner));
}

/** The `trader` program without its commands: each command lives in its own file under `commands/` and registers itself. */
export function newProgram(): Command {
  return (
    new Command('trader')
      .description('Registry-driven crypto trading decision support: every decision explained and recorded.')
      .version(traderVersion)
      .showHelpAfterError('(run with --help for usage)')
      // A group with options of its own and subcommands (`backtest --json`, `backtest show <id> --json`) needs options read where they stand.
      .enablePositionalOptions()
      // Read (and removed from the arguments) before parsing, wherever it stands; declared here for --help.
      .option(
        '--log-format <format>',
        'log lines on stderr: auto (terminal: warnings only, as text; else JSON), human, json',
        'auto',
      )
      .exitOverride()
      .configureOutput({ outputError: (str, write) => write(`trader: ${usageError(str)}\n`) })
  );
}
