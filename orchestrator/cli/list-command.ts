import type { Command } from 'commander';
import { bounds } from '../../core/bounds.ts';
import type { Db } from '../../store/db.ts';
import { action, output, wholeNumber, withDb, withJson, type JsonFlag } from './command-kit.ts';
import { table } from './table.ts';

/** `<group> list [--limit 20] [--json]`: stored items newest first, a table or `{ ok, <key>: [...] }`. */
export function registerListCommand<R>(
  parent: Command,
  o: {
    /** The JSON key and the noun of the description, e.g. 'backtests'. */
    key: string;
    load: (db: Db, limit: number) => Promise<R[]>;
    /** What to print when there is nothing yet: a sentence naming the command that makes one. */
    empty: string;
    header: string[];
    row: (r: R) => string[];
  },
): void {
  const command = `${parent.name()} list`;
  withJson(parent.command('list'))
    .description(`list stored ${o.key}, newest first`)
    .option('--limit <n>', 'how many', '20')
    .action(
      action(async (opts: JsonFlag & { limit: string }) => {
        const rows = await withDb(command, (db) => o.load(db, wholeNumber(opts.limit, '--limit', 1, bounds.listRows)));
        output(opts, { ok: true, [o.key]: rows }, () =>
          rows.length === 0 ? o.empty : table(o.header, rows.map(o.row)),
        );
      }),
    );
}
