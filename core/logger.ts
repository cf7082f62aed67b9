import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { logLevelOf } from './env.ts';

/**
 * Where log lines go (stdout is reserved for command output and `--json` documents):
 * every line, as JSON, to the system mode's log file (see addLogFile); on stderr it
 * depends on the format (see LogFormat): a human at a terminal sees only warnings and
 * errors, as one human line each, never JSON between the command's own lines; a script
 * (stderr not a terminal) gets JSON lines. Secret-looking fields are redacted everywhere.
 */
const secretPaths = [
  'password',
  'secret',
  'api_key',
  'apiKey',
  'token',
  'pin',
  'DATABASE_URL',
  '*.password',
  '*.secret',
  '*.api_key',
  '*.apiKey',
  '*.token',
  '*.pin',
];

const levelNames: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function humanLine(line: string): string {
  const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `[${levelNames[level as number] ?? level}] ${msg}${extras ? `  ${extras}` : ''}\n`;
}

/**
 * `auto` (the default): on a terminal, warnings and errors as human lines; off a terminal
 * (a pipe, a file, n8n), JSON lines. `human` / `json`: every line at the log level, in that
 * form, wherever stderr goes. `--log-format` sets it (see the CLI's main).
 */
export const logFormats = ['auto', 'human', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];
let stderrFormat: LogFormat = 'auto';

export function setLogFormat(format: LogFormat): void {
  stderrFormat = format;
}

/** What stderr shows of one JSON line: the line, a human line, or nothing. */
export function stderrLine(line: string, format: LogFormat, isTTY: boolean): string | null {
  const human = format === 'human' || (format === 'auto' && isTTY);
  if (!human) return line;
  if (format === 'auto' && (JSON.parse(line) as { level: number }).level < 40) return null;
  return humanLine(line);
}

// process.stderr writes synchronously to files, pipes and terminals on Linux, so a line is out before an exit.
const stderrStream = {
  write(line: string) {
    const shown = stderrLine(line, stderrFormat, process.stderr.isTTY === true);
    if (shown !== null) process.stderr.write(shown);
  },
};

// A bad TRADER_LOG_LEVEL is reported by the CLI's startup check (core/env.ts); until then it logs at info.
const level = logLevelOf(process.env);
const streams = pino.multistream([{ level, stream: stderrStream }]);

export const logger = pino({ level, base: undefined, redact: { paths: secretPaths, censor: '[redacted]' } }, streams);

/**
 * Also appends JSON lines to `file`. The CLI calls this once with the system mode's own
 * file (test.log or live.log), so TEST and LIVE never share a log.
 */
export function addLogFile(file: string): void {
  streams.add({ level, stream: appendOnFirstWrite(file) });
}

/** The file (and its folder) is created by the first line logged, so a command that logs nothing leaves no trace. */
function appendOnFirstWrite(file: string): { write(line: string): void } {
  let fd: number | undefined;
  return {
    write(line: string) {
      if (fd === undefined) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fd = fs.openSync(file, 'a');
      }
      fs.writeSync(fd, line);
    },
  };
}
