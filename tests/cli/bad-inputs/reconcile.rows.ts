import type { BadInput } from './row.ts';

/** `trader reconcile`: refused before any key is opened or anything is asked (nothing written, not even an audit row). */
export const rows: BadInput[] = [
  {
    what: 'reconcile in TEST',
    args: ['reconcile'],
    exit: 2,
    message:
      /^trader: Reconciliation compares the LIVE account with its exchange; run it with TRADER_SYSTEM_MODE=LIVE\.$/,
  },
  {
    what: 'reconcile --accept before live init',
    args: ['reconcile', '--accept'],
    env: { TRADER_SYSTEM_MODE: 'LIVE' },
    exit: 2,
    message: /^trader: There is no LIVE account yet; run `trader live init` first\.$/,
  },
];
