import type { BadInput } from './row.ts';

/** `trader export`: every refusal comes before anything is audited or written. */
export const rows: BadInput[] = [
  {
    what: 'an export of something trader does not export',
    args: ['export', 'wallets'],
    exit: 2,
    message: /^trader: There is no export 'wallets': choose trades, runs, audit or backtest <id>\.$/,
  },
  {
    what: 'a backtest export without its id',
    args: ['export', 'backtest'],
    exit: 2,
    message: /^trader: Name the backtest: trader export backtest <id> \(`trader backtest list` shows the ids\)\.$/,
  },
  {
    what: 'a backtest export of an id that is no UUID',
    args: ['export', 'backtest', 'latest'],
    exit: 2,
    message: /^trader: 'latest' is not a backtest id \(a UUID, see `trader backtest list`\)\.$/,
  },
  {
    what: 'a backtest export of an id nobody stored',
    args: ['export', 'backtest', '00000000-0000-4000-8000-000000000000'],
    exit: 2,
    message:
      /^trader: No backtest 00000000-0000-4000-8000-000000000000; `trader backtest list` shows the stored ones\.$/,
  },
  {
    what: 'an export format trader does not write',
    args: ['export', 'trades', '--format', 'xlsx'],
    exit: 2,
    message: /^trader: --format must be csv or jsonl, not 'xlsx'\.$/,
  },
  {
    what: 'an export of trades of a mode that does not exist',
    args: ['export', 'trades', '--mode', 'demo'],
    exit: 2,
    message: /^trader: --mode must be test or live, not 'demo'\.$/,
  },
  {
    what: 'an export window that ends before it starts',
    args: ['export', 'audit', '--from', '2026-02-01', '--to', '2026-01-01'],
    exit: 2,
    message: /^trader: --from must be before --to\.$/,
  },
  {
    what: 'an export with --json but no file (the export itself is stdout)',
    args: ['export', 'runs', '--json'],
    exit: 2,
    message: /^trader: --json needs --out: without it the export itself is what goes to stdout\.$/,
  },
  {
    what: 'an export into a folder that does not exist',
    args: ['export', 'trades', '--out', '{tmp}/nosuch/trades.csv'],
    exit: 2,
    message:
      /^trader: --out .*nosuch\/trades\.csv cannot be written: its folder .*nosuch does not exist; give a file in a folder you can write to\.$/,
  },
];
