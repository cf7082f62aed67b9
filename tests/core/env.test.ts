import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exchangeBaseUrl, exchangeUrlPrefix, logLevelOf, parseTraderEnv, TraderEnv } from '../../core/env.ts';
import { packageRoot } from '../../core/paths.ts';
import { assertUsableDir } from '../../core/usable-dir.ts';

/** The schema of every environment variable (core/env.ts) and the folder check of TRADER_HOME / TRADER_LOG_DIR. */
const refusal = (env: NodeJS.ProcessEnv) => {
  try {
    parseTraderEnv(env);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe('the environment schema', () => {
  it('an empty environment gives the documented defaults', () => {
    const c = parseTraderEnv({});
    expect(c).toMatchObject({
      TRADER_SYSTEM_MODE: 'TEST',
      TRADER_LOG_LEVEL: 'info',
      TRADER_RUN_STALE_SECONDS: 600,
      TRADER_FETCH_ATTEMPTS: 5,
      TRADER_FETCH_BUDGET_SECONDS: 60,
      exchangeUrls: {},
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.TRADER_HOME).toBeUndefined();
  });

  it('reads typed values; blank means unset; modes and levels in any case', () => {
    const c = parseTraderEnv({
      TRADER_FETCH_ATTEMPTS: ' 7 ',
      TRADER_RUN_STALE_SECONDS: '',
      TRADER_SYSTEM_MODE: 'live',
      TRADER_LOG_LEVEL: 'WARN',
      DATABASE_URL: 'postgresql://u:p@h:5432/db',
      TRADER_EXCHANGE_URL_BINANCE: 'http://127.0.0.1:9999',
      TRADER_EXCHANGE_URL: 'https://proxy.example',
    });
    expect(c).toMatchObject({
      TRADER_FETCH_ATTEMPTS: 7,
      TRADER_RUN_STALE_SECONDS: 600,
      TRADER_SYSTEM_MODE: 'LIVE',
      TRADER_LOG_LEVEL: 'warn',
    });
    expect(exchangeBaseUrl(c, 'binance')).toBe('http://127.0.0.1:9999');
    expect(exchangeBaseUrl(c, 'kraken')).toBe('https://proxy.example');
  });

  it.each([
    [{ TRADER_FETCH_ATTEMPTS: 'abc' }, "TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not 'abc'."],
    [{ TRADER_FETCH_ATTEMPTS: '21' }, "TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not '21'."],
    [{ TRADER_FETCH_ATTEMPTS: '2.5' }, "TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not '2.5'."],
    [
      { TRADER_FETCH_BUDGET_SECONDS: '0' },
      "TRADER_FETCH_BUDGET_SECONDS must be a whole number from 1 to 3600, not '0'.",
    ],
    [
      { TRADER_RUN_STALE_SECONDS: 'abc' },
      "TRADER_RUN_STALE_SECONDS must be a whole number from 10 to 604800, not 'abc'.",
    ],
    [
      { TRADER_LOG_LEVEL: 'loud' },
      "TRADER_LOG_LEVEL is 'loud'; set it to one of trace, debug, info, warn, error, fatal, silent.",
    ],
    [
      { TRADER_SYSTEM_MODE: 'paper' },
      "TRADER_SYSTEM_MODE is 'paper'; set it to TEST (paper trading, the default) or LIVE.",
    ],
    [
      { DATABASE_URL: 'mysql://u@h/db' },
      'DATABASE_URL is not a URL like postgres://user@host:5432/db; fix it or unset it.',
    ],
    [
      { TRADER_COINGECKO_URL: 'coingecko' },
      'TRADER_COINGECKO_URL is not a URL like https://host:port; fix it or unset it.',
    ],
    [
      { TRADER_EXCHANGE_URL_KRAKEN: 'x' },
      'TRADER_EXCHANGE_URL_KRAKEN is not a URL like https://host:port; fix it or unset it.',
    ],
  ])('%j is refused: %s', (env, message) => {
    expect(refusal(env)).toEqual({ code: 'CONFIG_INVALID', message });
  });

  it('never echoes a URL (it may hold a password) and cuts long values short', () => {
    expect(refusal({ DATABASE_URL: 'http://admin:hunter2@db/x' }).message).not.toContain('hunter2');
    expect(refusal({ TRADER_FETCH_ATTEMPTS: 'x'.repeat(1000) }).message).toBe(
      `TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not '${'x'.repeat(60)}…' (1000 characters).`,
    );
  });

  it('the log level a bad value falls back to until the CLI reports it', () => {
    expect(logLevelOf({ TRADER_LOG_LEVEL: 'nonsense' })).toBe('info');
    expect(logLevelOf({ TRADER_LOG_LEVEL: 'Debug' })).toBe('debug');
  });
});

describe("the README's configuration table", () => {
  const readme = fs.readFileSync(path.join(packageRoot, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5),
  );
  const documented = new Set([...section.matchAll(/^\| `([A-Z_<>]+)`/gm)].map((m) => m[1]!));
  const inSchema = [...Object.keys(TraderEnv.shape), `${exchangeUrlPrefix}<ID>`];

  it('documents every variable of the schema, and no other', () => {
    expect([...documented].sort()).toEqual([...inSchema].sort());
  });

  it('states the bound of every numeric variable', () => {
    for (const [name, from, to] of [
      ['TRADER_RUN_STALE_SECONDS', 10, 604800],
      ['TRADER_FETCH_ATTEMPTS', 1, 20],
      ['TRADER_FETCH_BUDGET_SECONDS', 1, 3600],
    ] as const) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${name}\``));
      expect(row, name).toContain(`${from} to ${to}`);
      expect(refusal({ [name]: String(to + 1) }).message).toContain(`from ${from} to ${to}`);
      expect(parseTraderEnv({ [name]: String(to) })[name]).toBe(to);
    }
  });
});

describe('TRADER_HOME and TRADER_LOG_DIR folders', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-env-'));
  const file = path.join(tmp, 'file');
  fs.writeFileSync(file, 'x');
  const message = (dir: string) => {
    try {
      assertUsableDir(dir, 'TRADER_HOME');
      return 'accepted';
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('accepts an existing folder and one that can be created, creating nothing', () => {
    expect(message(tmp)).toBe('accepted');
    expect(message(path.join(tmp, 'a', 'b'))).toBe('accepted');
    expect(fs.existsSync(path.join(tmp, 'a'))).toBe(false);
  });

  it('refuses a file, a path under a file, /proc and /sys in one sentence', () => {
    expect(message(file)).toMatch(
      /^TRADER_HOME \(.*\) is a file, not a folder; point it at a folder you can write to\.$/,
    );
    expect(message(path.join(file, 'x'))).toMatch(/lies under .*file, which is a file/);
    expect(message('/proc/trader/x')).toMatch(/is on the kernel's proc file system/);
    expect(message('/sys/trader')).toMatch(/is on the kernel's sysfs file system/);
  });
});
