import type { BadInput } from './row.ts';

/** `trader events tail`: where to start is a sequence number. */
export const rows: BadInput[] = [
  {
    what: 'an --after that is not a sequence number',
    args: ['events', 'tail', '--after', 'yesterday', '--once'],
    exit: 2,
    message: /^trader: --after must be a whole number, not 'yesterday'\.$/,
  },
];
