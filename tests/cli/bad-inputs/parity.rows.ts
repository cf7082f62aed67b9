import type { BadInput } from './row.ts';

/** `trader parity` and `trader paper costs --from-parity`: every refusal before anything is replayed or changed. */
export const rows: BadInput[] = [
  {
    what: 'a parity window that does not start at a date',
    args: ['parity', '--from', 'last-week'],
    exit: 2,
    message:
      /^trader: --from 'last-week' is not a UTC time: use 2024-01-01 or 2024-01-01T12:00:00Z \(a zone is required with a time\)\.$/,
  },
  {
    what: 'a parity window ending on a day the calendar does not have',
    args: ['parity', '--to', '2024-02-30'],
    exit: 2,
    message: /^trader: --to '2024-02-30' is not a UTC time: February 2024 has 29 days\.$/,
  },
  {
    what: 'a parity window whose --from is after its --to',
    args: ['parity', '--from', '2024-03-06', '--to', '2024-03-05'],
    exit: 2,
    message: /^trader: --from must be before --to\.$/,
  },
  {
    what: 'a parity window starting after every recorded run (the default --to is just after the newest)',
    args: ['parity', '--from', '2999-01-01', '--json'],
    exit: 2,
    message: /^trader: --from must be before --to \(by default just after the newest recorded run\)\.$/,
  },
  {
    what: 'parity of a pipeline nobody configured or ran',
    args: ['parity', '--pipeline', 'nosuch', '--from', '2024-01-01', '--to', '2024-02-01'],
    exit: 2,
    message:
      /^trader: Pipeline 'nosuch' is neither configured nor used by any run; give the id of one, like default\.$/,
  },
  {
    what: 'parity of an empty pipeline id',
    args: ['parity', '--pipeline', ' '],
    exit: 2,
    message: /^trader: --pipeline must not be empty\.$/,
  },
  {
    what: 'paper costs from parity when no LIVE fill was made in the window',
    args: ['paper', 'costs', '--from-parity', '--from', '2024-01-01', '--to', '2024-02-01', '--yes'],
    exit: 2,
    message:
      /^trader: No LIVE entry fills of runs decided from 2024-01-01T00:00:00\.000Z to 2024-02-01T00:00:00\.000Z: there is nothing to measure, so the paper costs are unchanged\.$/,
  },
  {
    what: 'paper costs from parity and typed costs at once',
    args: ['paper', 'costs', '--from-parity', '--fee-bps', '5'],
    exit: 2,
    message: /^trader: --from-parity measures both costs; leave out --fee-bps and --slippage-bps\.$/,
  },
  {
    what: 'a paper costs window without --from-parity',
    args: ['paper', 'costs', '--slippage-bps', '3', '--from', '2024-01-01'],
    exit: 2,
    message: /^trader: --from, --to and --yes go with --from-parity\.$/,
  },
  {
    what: 'paper costs from parity whose --from is after its --to',
    args: ['paper', 'costs', '--from-parity', '--from', '2024-03-06', '--to', '2024-03-05'],
    exit: 2,
    message: /^trader: --from must be before --to\.$/,
  },
  {
    what: 'paper costs from parity in LIVE mode, where no paper costs exist',
    args: ['paper', 'costs', '--from-parity', '--yes'],
    env: { TRADER_SYSTEM_MODE: 'LIVE' },
    exit: 2,
    message: /^trader: Paper costs exist only in TEST mode; LIVE fills are the exchange's\.$/,
  },
];
