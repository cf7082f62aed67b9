import { demoAsOfIso } from '../../helpers/cli.ts';
import type { BadInput } from './row.ts';

/** Flags that named things which cannot exist: refused before a run row is written. */
const run = (...flags: string[]) => ['run', '--symbols', 'BTC/USDT', '--offline', '--as-of', demoAsOfIso, ...flags];

export const rows: BadInput[] = [
  {
    what: 'run --exchange that is no exchange id (was recorded as a failed run, exit 1)',
    args: run('--exchange', 'Bin ance'),
    exit: 2,
    message: /^trader: Exchange 'Bin ance' is not valid: use a lowercase ccxt id like binance\.$/,
  },
  {
    what: 'run --trigger empty (was recorded)',
    args: run('--trigger', ''),
    exit: 2,
    message: /^trader: Trigger '' is not valid: use a short lowercase name like cli, n8n or schedule\.$/,
  },
  {
    what: 'run --trigger-ref empty',
    args: run('--trigger-ref', ''),
    exit: 2,
    message: /^trader: A trigger reference must be 1 to 200 characters long\.$/,
  },
  {
    what: 'pipeline validate --symbols malformed (was accepted)',
    args: ['pipeline', 'validate', '--symbols', 'btc'],
    exit: 2,
    message: /^trader: 'btc' is not a symbol like BTC\/USDT \(upper case BASE\/QUOTE\)\.$/,
  },
  {
    what: 'trades --symbol malformed (answered "No trades yet")',
    args: ['trades', '--symbol', 'btc'],
    exit: 2,
    message: /^trader: 'btc' is not a symbol like BTC\/USDT/,
  },
];
