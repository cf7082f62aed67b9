import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { addLogFile } from '../../core/logger.ts';
import { packageRoot } from '../../core/paths.ts';
import { traderHome } from '../../store/open.ts';
import { parseSystemModeEnv } from '../../trading/scope.ts';
import { groupsFor } from './commands/index.ts';

// TEST and LIVE each log to a file of their own (an invalid mode is reported by the command itself).
const mode = parseSystemModeEnv(process.env);
if (mode.success) addLogFile(path.join(process.env.TRADER_LOG_DIR || path.join(traderHome(), 'logs'), `${mode.data.toLowerCase()}.log`));

/** The `trader` CLI: each command lives in its own file under `commands/` and registers itself here. */
const program = new Command('trader')
  .description('Registry-driven crypto trading decision support: every decision explained and recorded.')
  .version((JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version)
  .showHelpAfterError('(run with --help for usage)')
  // A group with options of its own and subcommands (`backtest --json`, `backtest show <id> --json`) needs options read where they stand.
  .enablePositionalOptions()
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(`trader: ${str.replace(/^error: /, '')}`) });

for (const group of groupsFor(process.argv.slice(2))) (await group.load())(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; every usage error is bad input (exit 2), as a JSON document too with --json.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    if (e.exitCode !== 0 && process.argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'BAD_INPUT', message: e.message.replace(/^error: /, '') } })}\n`);
    }
  } else {
    throw e;
  }
}
