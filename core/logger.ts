import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';

/**
 * Logs go to stderr (stdout is reserved for command output and `--json` documents).
 * JSON lines by default; a compact human line when stderr is a terminal.
 * Secret-looking fields are redacted wherever they appear.
 */
const secretPaths = ['password', 'secret', 'api_key', 'apiKey', 'token', 'pin', 'DATABASE_URL', '*.password', '*.secret', '*.api_key', '*.apiKey', '*.token', '*.pin'];

const levelNames: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

const compactStderr = {
  write(line: string) {
    const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const extras = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(`[${levelNames[level as number] ?? level}] ${msg}${extras ? `  ${extras}` : ''}\n`);
  },
};

const level = (process.env.TRADER_LOG_LEVEL ?? 'info') as pino.Level;
const streams = pino.multistream([{ level, stream: process.stderr.isTTY ? compactStderr : pino.destination({ fd: 2, sync: true }) }]);

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
