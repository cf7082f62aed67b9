import path from 'node:path';
import { CommanderError } from 'commander';
import { errorMessage } from '../../core/errors.ts';
import { addLogFile, setLogFormat } from '../../core/logger.ts';
import { reportError } from './command-kit.ts';
import { checkStartupEnv } from './startup-env.ts';
import { commandWord, groupsFor } from './commands/index.ts';
import { registerOverview } from './command-overview.ts';
import { newProgram, usageError } from './program.ts';
import { takeLogFormat } from './log-format-flag.ts';

// A reader that stops reading (`trader trades | head`) must not crash a command mid-work:
// what it would still print is dropped, the work finishes, the exit code stays the command's.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });

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

const program = newProgram();
const commandLine = argv.slice(2);
// `trader --help` and `trader --version` name no command: the overview lists them without loading any group.
if (commandWord(commandLine) === undefined) registerOverview(program);
else for (const group of groupsFor(commandLine)) (await group.load())(program);

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
