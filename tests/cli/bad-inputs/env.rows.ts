import type { BadInput } from './row.ts';

/**
 * Environment variables (core/env.ts): each bad value is one sentence naming the variable,
 * exit 2, before any command runs; a URL's value is never echoed (it may hold a password).
 */
const status = ['status'];

export const rows: BadInput[] = [
  {
    what: 'TRADER_FETCH_ATTEMPTS that is no number',
    args: status,
    env: { TRADER_FETCH_ATTEMPTS: 'abc' },
    exit: 2,
    message: /^trader: TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not 'abc'\.$/,
  },
  {
    what: 'TRADER_FETCH_ATTEMPTS of 0',
    args: status,
    env: { TRADER_FETCH_ATTEMPTS: '0' },
    exit: 2,
    message: /^trader: TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not '0'\.$/,
  },
  {
    what: 'TRADER_FETCH_BUDGET_SECONDS in exponent notation',
    args: status,
    env: { TRADER_FETCH_BUDGET_SECONDS: '1e3' },
    exit: 2,
    message: /^trader: TRADER_FETCH_BUDGET_SECONDS must be a whole number from 1 to 3600, not '1e3'\.$/,
  },
  {
    what: 'TRADER_RUN_STALE_SECONDS that is no number (was silently ignored)',
    args: status,
    env: { TRADER_RUN_STALE_SECONDS: 'abc' },
    exit: 2,
    message: /^trader: TRADER_RUN_STALE_SECONDS must be a whole number from 10 to 604800, not 'abc'\.$/,
  },
  {
    what: 'TRADER_RUN_STALE_SECONDS below its bound (live runs would be reaped)',
    args: status,
    env: { TRADER_RUN_STALE_SECONDS: '1' },
    exit: 2,
    message: /^trader: TRADER_RUN_STALE_SECONDS must be a whole number from 10 to 604800, not '1'\.$/,
  },
  {
    what: 'TRADER_RECONCILE_SECONDS below its bound (the exchange would be asked every second)',
    args: status,
    env: { TRADER_RECONCILE_SECONDS: '1' },
    exit: 2,
    message: /^trader: TRADER_RECONCILE_SECONDS must be a whole number from 5 to 86400, not '1'\.$/,
  },
  {
    what: 'unknown TRADER_LOG_LEVEL (printed a logger stack)',
    args: status,
    env: { TRADER_LOG_LEVEL: 'loud' },
    exit: 2,
    message: /^trader: TRADER_LOG_LEVEL is 'loud'; set it to one of trace, debug, info, warn, error, fatal, silent\.$/,
  },
  {
    what: 'unknown TRADER_LOG_LEVEL with --json: the error document too',
    args: ['status', '--json'],
    env: { TRADER_LOG_LEVEL: 'verbose' },
    exit: 2,
    message: /^trader: TRADER_LOG_LEVEL is 'verbose'/,
  },
  {
    what: 'TRADER_SYSTEM_MODE that is neither TEST nor LIVE, before any command runs',
    args: ['runs', 'list'],
    env: { TRADER_SYSTEM_MODE: 'paper' },
    exit: 2,
    message: /^trader: TRADER_SYSTEM_MODE is 'paper'; set it to TEST \(paper trading, the default\) or LIVE\.$/,
  },
  {
    what: 'DATABASE_URL that is no URL (was "unreachable", exit 1)',
    args: status,
    env: { DATABASE_URL: 'notaurl' },
    exit: 2,
    message: /^trader: DATABASE_URL is not a URL like postgres:\/\/user@host:5432\/db; fix it or unset it\.$/,
  },
  {
    what: 'DATABASE_URL of another scheme, with a password that is never echoed',
    args: status,
    env: { DATABASE_URL: 'http://admin:hunter2@db.example/trader' },
    exit: 2,
    message: /^trader: DATABASE_URL is not a URL like postgres:\/\/user@host:5432\/db; fix it or unset it\.$/,
  },
  {
    what: 'TRADER_EXCHANGE_URL that is no URL (was "unreachable", exit 1)',
    args: ['data', 'fetch', '--symbols', 'BTC/USDT'],
    env: { TRADER_EXCHANGE_URL: 'not a url' },
    exit: 2,
    message: /^trader: TRADER_EXCHANGE_URL is not a URL like https:\/\/host:port; fix it or unset it\.$/,
  },
  {
    what: 'TRADER_EXCHANGE_URL_BINANCE of a scheme no exchange speaks',
    args: ['data', 'markets'],
    env: { TRADER_EXCHANGE_URL_BINANCE: 'ftp://proxy.example' },
    exit: 2,
    message: /^trader: TRADER_EXCHANGE_URL_BINANCE is not a URL like https:\/\/host:port; fix it or unset it\.$/,
  },
  {
    what: 'TRADER_COINGECKO_URL without a scheme',
    args: ['macro', 'fetch'],
    env: { TRADER_COINGECKO_URL: 'api.coingecko.com' },
    exit: 2,
    message: /^trader: TRADER_COINGECKO_URL is not a URL like https:\/\/host:port; fix it or unset it\.$/,
  },
  {
    what: 'two bad variables: both named in one line',
    args: status,
    env: { TRADER_FETCH_ATTEMPTS: '-1', TRADER_LOG_LEVEL: 'LOUD' },
    exit: 2,
    message:
      /^trader: TRADER_LOG_LEVEL is 'LOUD'; .*\. TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not '-1'\.$/,
  },
  {
    what: 'a very long bad value is cut short in the message',
    args: status,
    env: { TRADER_FETCH_ATTEMPTS: '9'.repeat(5000) },
    exit: 2,
    message: /^trader: TRADER_FETCH_ATTEMPTS must be a whole number from 1 to 20, not '9{60}…' \(5000 characters\)\.$/,
  },
];
