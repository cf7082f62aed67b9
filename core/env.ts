import { z } from 'zod';
import { quote } from './quote.ts';
import { TraderError } from './errors.ts';

/**
 * Every environment variable trader reads, in one zod schema. The CLI parses it once at
 * startup (`trader serve` included), so a bad value is one sentence naming the variable
 * and exit 2 before anything runs; the code then reads typed values through `traderEnv`
 * instead of parsing `process.env` where it needs them. The README's configuration table
 * lists exactly these variables (a test holds them together).
 */

const unset = (raw: string | undefined): raw is undefined => raw === undefined || raw.trim() === '';

function wholeNumber(fallback: number, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (unset(raw)) return fallback;
      const t = raw.trim();
      const n = Number(t);
      if (/^\d+$/.test(t) && n >= min && n <= max) return n;
      ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, not ${quote(raw)}` });
      return z.NEVER;
    });
}

function choice<const T extends readonly string[]>(
  values: T,
  fallback: T[number],
  normalise: (s: string) => string,
  hint = `one of ${values.join(', ')}`,
) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T[number] => {
      if (unset(raw)) return fallback;
      const v = normalise(raw.trim());
      if ((values as readonly string[]).includes(v)) return v;
      ctx.addIssue({ code: 'custom', message: `is ${quote(raw)}; set it to ${hint}` });
      return z.NEVER;
    });
}

/** A URL whose value is never echoed: it may carry a password. */
function url(protocols: readonly string[], example: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (unset(raw)) return undefined;
      let parsed: URL | undefined;
      try {
        parsed = new URL(raw.trim());
      } catch {
        parsed = undefined;
      }
      if (parsed && protocols.includes(parsed.protocol)) return raw.trim();
      ctx.addIssue({ code: 'custom', message: `is not a URL like ${example}; fix it or unset it` });
      return z.NEVER;
    });
}

const text = z
  .string()
  .optional()
  .transform((raw) => (unset(raw) ? undefined : raw));

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const systemModes = ['TEST', 'LIVE'] as const;
const httpUrl = url(['http:', 'https:'], 'https://host:port');

export const TraderEnv = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://user@host:5432/db'),
  TRADER_HOME: text,
  TRADER_MODULES_ROOT: text,
  TRADER_SYSTEM_MODE: choice(systemModes, 'TEST', (s) => s.toUpperCase(), 'TEST (paper trading, the default) or LIVE'),
  TRADER_LOG_DIR: text,
  TRADER_LOG_LEVEL: choice(logLevels, 'info', (s) => s.toLowerCase()),
  TRADER_DEBUG: text,
  TRADER_RUN_STALE_SECONDS: wholeNumber(600, 10, 604_800),
  TRADER_FETCH_ATTEMPTS: wholeNumber(5, 1, 20),
  TRADER_FETCH_BUDGET_SECONDS: wholeNumber(60, 1, 3600),
  TRADER_EXCHANGE_URL: httpUrl,
  TRADER_COINGECKO_URL: httpUrl,
  TRADER_LIVE_KEY_FILE: text,
  TRADER_BACKUP_PASSPHRASE: text,
  TRADER_OFFSITE_KEY_FILE: text,
  TRADER_RECONCILE_SECONDS: wholeNumber(60, 5, 86_400),
  TRADER_QUEUE_POLL_MS: wholeNumber(500, 50, 60_000),
  TRADER_QUEUE_POOL_MAX: wholeNumber(3, 1, 50),
  TRADER_QUEUE_MAINTENANCE_SECONDS: wholeNumber(10, 1, 3600),
  /** 0: each queue's own limit (the migration's expireInSeconds). */
  TRADER_QUEUE_EXPIRE_SECONDS: wholeNumber(0, 0, 86_400),
  TRADER_WORKER_DEAD_SECONDS: wholeNumber(30, 3, 3600),
  TRADER_DISTRIBUTED_RUN_TIMEOUT_SECONDS: wholeNumber(3600, 10, 604_800),
  TRADER_ORDER_LEASE_WAIT_SECONDS: wholeNumber(60, 1, 3600),
});
export type TraderEnv = z.infer<typeof TraderEnv> & {
  /** `TRADER_EXCHANGE_URL_<ID>` per exchange id (upper case), each checked like `TRADER_EXCHANGE_URL`. */
  exchangeUrls: Record<string, string>;
};

/** The per-exchange variables: `TRADER_EXCHANGE_URL_BINANCE` and the like. */
export const exchangeUrlPrefix = 'TRADER_EXCHANGE_URL_';

/** Each problem as "VARIABLE says what": one sentence per variable, the first problems first. */
function problems(issues: z.core.$ZodIssue[]): string {
  return issues.map((i) => `${String(i.path[0])} ${i.message}.`).join(' ');
}

/** Parses every variable trader reads; a bad value is a CONFIG_INVALID error (exit 2) naming it. */
export function parseTraderEnv(env: NodeJS.ProcessEnv): TraderEnv {
  const perExchange = Object.keys(env)
    .filter((k) => k.startsWith(exchangeUrlPrefix) && !unset(env[k]))
    .sort();
  const base = TraderEnv.safeParse(env);
  const urls = z.object(Object.fromEntries(perExchange.map((k) => [k, httpUrl]))).safeParse(env);
  if (!base.success || !urls.success)
    throw new TraderError('CONFIG_INVALID', problems([...(base.error?.issues ?? []), ...(urls.error?.issues ?? [])]));
  const exchangeUrls = Object.fromEntries(
    Object.entries(urls.data).map(([k, v]) => [k.slice(exchangeUrlPrefix.length), String(v)]),
  );
  return { ...base.data, exchangeUrls };
}

/** The typed configuration of `env` (the process's by default). */
export function traderEnv(env: NodeJS.ProcessEnv = process.env): TraderEnv {
  return parseTraderEnv(env);
}

/** The log level, or `info` while the value is bad (the CLI reports a bad value before anything is logged). */
export function logLevelOf(env: NodeJS.ProcessEnv): (typeof logLevels)[number] {
  const parsed = TraderEnv.shape.TRADER_LOG_LEVEL.safeParse(env.TRADER_LOG_LEVEL);
  return parsed.success ? parsed.data : 'info';
}

/** Where an exchange's API calls go: `TRADER_EXCHANGE_URL_<ID>`, else `TRADER_EXCHANGE_URL`, else the exchange itself. */
export function exchangeBaseUrl(config: TraderEnv, exchangeId: string): string | undefined {
  return config.exchangeUrls[exchangeId.toUpperCase()] ?? config.TRADER_EXCHANGE_URL;
}
