import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { errorMessage } from '../../core/errors.ts';
import { addLogFile, setLogFormat } from '../../core/logger.ts';
import { packageRoot } from '../../core/paths.ts';
import { reportError } from './command-kit.ts';
import { checkStartupEnv } from './startup-env.ts';
import { groupsFor } from './commands/index.ts';
import { takeLogFormat } from './log-format-flag.ts';
import { quote } from '../../core/quote.ts';

// Every environment variable is checked once, before any command: a bad one is one sentence and exit 2.
let config: ReturnType<typeof checkStartupEnv>;
try {
  config = checkStartupEnv(process.env);
} catch (e) {
  reportError(e, process.argv.includes('--json'));
  process.exit();
}
// TEST and LIVE each log to a file of their own.
addLogFile(path.join(config.logDir, `${config.TRADER_SYSTEM_MODE.toLowerCase()}.log`));

// Where log lines go on stderr is settled before any command runs (see core/logger.ts).
let argv = process.argv;
try {
  const taken = takeLogFormat(process.argv);
  argv = taken.argv;
  setLogFormat(taken.format);
} catch (e) {
  process.stderr.write(`trader: ${errorMessage(e)}\n`);
  process.exit(2);
}

/** Commander's usage error as one line: what it quotes of the arguments (an unknown command or option) shortened. */
function usageError(text: string): string {
  return text
    .trimEnd()
    .replace(/^error: /, '')
    .replace(/'([^']*)'/g, (_, inner: string) => quote(inner));
}

/** The `trader` CLI: each command lives in its own file under `commands/` and registers itself here. */
const program = new Command('trader')
  .description('Registry-driven crypto trading decision support: every decision explained and recorded.')
  .version((JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version)
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
  .configureOutput({ outputError: (str, write) => write(`trader: ${usageError(str)}\n`) });

for (const group of groupsFor(argv.slice(2))) (await group.load())(program);

try {
  await program.parseAsync(argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; every usage error is bad input (exit 2), as a JSON document too with --json.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    if (e.exitCode !== 0 && process.argv.includes('--json')) {
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: { code: 'BAD_INPUT', message: usageError(e.message) } })}\n`,
      );
    }
  } else {
    throw e;
  }
}
