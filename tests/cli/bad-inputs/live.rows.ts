import type { BadInput } from './row.ts';

/** `trader live`: refusals before any question is asked (so nothing is written, not even an audit row). */
const caps = ['--max-order-notional', '100', '--max-daily-notional', '500'];

export const rows: BadInput[] = [
  {
    what: 'live init without the per-order cap',
    args: ['live', 'init', '--max-daily-notional', '500'],
    exit: 2,
    message: /^trader: required option '--max-order-notional <amount>' not specified$/,
    usageHint: true,
  },
  {
    what: 'live init with a zero daily cap',
    args: ['live', 'init', '--max-order-notional', '100', '--max-daily-notional', '0'],
    exit: 2,
    message:
      /^trader: --max-daily-notional must be a positive amount from 0\.01 to 1e\+12 \(a trillion\), like 500, not '0'\.$/,
  },
  {
    what: 'live init with a cap that is no number',
    args: ['live', 'init', '--max-order-notional', 'lots', '--max-daily-notional', '500'],
    exit: 2,
    message: /^trader: --max-order-notional must be a positive amount .* not 'lots'\.$/,
  },
  {
    what: 'live init with a per-order cap above the daily cap',
    args: ['live', 'init', '--max-order-notional', '600', '--max-daily-notional', '500'],
    exit: 2,
    message: /^trader: --max-order-notional \(600\) must not exceed --max-daily-notional \(500\)\.$/,
  },
  {
    what: 'live init with an exchange id that is no ccxt id',
    args: ['live', 'init', '--exchange', 'Binance!', ...caps],
    exit: 2,
    message: /^trader: 'Binance!' is not an exchange id: use a ccxt id such as binance\.$/,
  },
  {
    what: 'live init with an exchange ccxt does not know',
    args: ['live', 'init', '--exchange', 'nosuchexchange', ...caps],
    exit: 2,
    message: /^trader: Unknown exchange 'nosuchexchange': use a ccxt exchange id/,
  },
  {
    what: 'live init before a master PIN is set',
    args: ['live', 'init', ...caps],
    stdin: 'I ACCEPT THE RISK OF LIVE TRADING\n',
    exit: 2,
    message: /^trader: No master PIN is set; run `trader secrets init` first\.$/,
  },
  {
    what: 'live key-file before live init',
    args: ['live', 'key-file'],
    exit: 2,
    message: /^trader: There is no LIVE account yet; run `trader live init` first\.$/,
  },
  {
    what: 'live close with a position id that is no number',
    args: ['live', 'close', 'BTC'],
    env: { TRADER_SYSTEM_MODE: 'LIVE' },
    exit: 2,
    message: /^trader: A position id is a positive whole number, not 'BTC'\.$/,
  },
  {
    what: 'live close with position id 0',
    args: ['live', 'close', '0', '--yes'],
    env: { TRADER_SYSTEM_MODE: 'LIVE' },
    exit: 2,
    message: /^trader: A position id is a positive whole number, not '0'\.$/,
  },
  {
    what: 'live close before live init',
    args: ['live', 'close', '1', '--yes'],
    env: { TRADER_SYSTEM_MODE: 'LIVE' },
    exit: 2,
    message: /^trader: There is no LIVE account yet; run `trader live init` first\.$/,
  },
];
