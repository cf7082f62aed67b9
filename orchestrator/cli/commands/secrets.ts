import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import { prompter } from '../../../core/prompt.ts';
import type { Db } from '../../../store/db.ts';
import {
  addApiKey,
  alreadyExists,
  type ApiKeyListing,
  checkExchange,
  findApiKey,
  listApiKeys,
  loadApiKey,
  notFound,
  removeApiKey,
} from '../../../trading/secrets/key-vault.ts';
import { assertPinSet, hasMasterPin, initPin, pinAlreadySet, requirePin } from '../../../trading/secrets/pin.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';

/**
 * `trader secrets`: the master PIN and the encrypted exchange API keys. Every secret is
 * asked for through the prompter (hidden on a terminal, one stdin line each when piped),
 * never taken from argv or the environment. Output names keys, never shows them.
 */

const pipedNote = '\nWithout a terminal, answers are read one per line from stdin, in the order they are asked.';

/** Fails before any prompt when the key is missing, so nobody types a PIN for nothing. */
async function existingKey(db: Db, name: string): Promise<ApiKeyListing> {
  const row = await findApiKey(db, name);
  if (!row) throw notFound(name);
  return row;
}

function keyTable(keys: ApiKeyListing[]): string {
  return table(
    ['name', 'exchange', 'added'],
    keys.map((k) => [k.name, k.exchange, k.created_at.toISOString()]),
  );
}

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('the master PIN and encrypted exchange API keys');

  withJson(secrets.command('init'))
    .description('set the master PIN (6 to 128 characters); asked twice, never shown')
    .addHelpText(
      'after',
      `\nExample:\n  $ trader secrets init\n  New master PIN: \n  Repeat master PIN: \n${pipedNote}`,
    )
    .action(
      action(async (opts: JsonFlag) => {
        await withDb('secrets init', async (db) => {
          if (await hasMasterPin(db)) throw pinAlreadySet();
          const pin = await prompter.secret('New master PIN');
          const repeated = await prompter.secret('Repeat master PIN');
          if (pin !== repeated)
            throw new TraderError(
              'BAD_INPUT',
              'The two PINs differ; run `trader secrets init` again and type the same PIN twice.',
            );
          await initPin(db, pin);
        });
        output(
          opts,
          { ok: true },
          () => 'Master PIN set. Keep it safe: API keys are encrypted under it and nothing can recover it.',
        );
      }),
    );

  withJson(secrets.command('add <name>'))
    .description(
      'store an exchange API key and secret, encrypted under the master PIN (asks the PIN, the key, the secret)',
    )
    .requiredOption('--exchange <id>', 'ccxt exchange id the key belongs to')
    .addHelpText(
      'after',
      `\nExample:\n  $ trader secrets add binance-main --exchange binance\n  Master PIN: \n  API key: \n  API secret: \n${pipedNote}\nThe key and secret are never accepted as arguments or environment variables.`,
    )
    .action(
      action(async (name: string, opts: JsonFlag & { exchange: string }) => {
        const row = await withDb('secrets add', async (db) => {
          checkExchange(opts.exchange);
          if (await findApiKey(db, name)) throw alreadyExists(name);
          await assertPinSet(db);
          const pin = await prompter.secret('Master PIN');
          const apiKey = await prompter.secret('API key');
          const secret = await prompter.secret('API secret');
          return addApiKey(db, pin, { name, exchange: opts.exchange, apiKey, secret });
        });
        output(
          opts,
          { ok: true, key: row },
          () => `Stored API key '${row.name}' for ${row.exchange}, encrypted under the master PIN.`,
        );
      }),
    );

  withJson(secrets.command('list'))
    .description('list stored API keys: name, exchange and when added (never the keys)')
    .addHelpText('after', '\nExample:\n  $ trader secrets list --json')
    .action(
      action(async (opts: JsonFlag) => {
        const keys = await withDb('secrets list', (db) => listApiKeys(db));
        output(opts, { ok: true, keys }, () =>
          keys.length === 0
            ? 'No API keys stored; add one with `trader secrets add <name> --exchange <id>`.'
            : keyTable(keys),
        );
      }),
    );

  withJson(secrets.command('remove <name>'))
    .description('delete a stored API key (asks for confirmation, then the master PIN)')
    .option('--yes', 'skip the confirmation question (the PIN is still asked)')
    .addHelpText('after', `\nExample:\n  $ trader secrets remove binance-main --yes\n  Master PIN: \n${pipedNote}`)
    .action(
      action(async (name: string, opts: JsonFlag & { yes?: boolean }) => {
        const removed = await withDb('secrets remove', async (db) => {
          await existingKey(db, name);
          if (!(await prompter.confirm(`Remove API key '${name}'?`, opts.yes))) return undefined;
          await requirePin(db, `remove API key ${name}`);
          return removeApiKey(db, name);
        });
        output(opts, { ok: true, removed: removed ?? null }, () =>
          removed ? `Removed API key '${removed.name}' (${removed.exchange}).` : 'Nothing removed.',
        );
      }),
    );

  withJson(secrets.command('check <name>'))
    .description('check that a stored API key decrypts with the master PIN (prints nothing of the key)')
    .addHelpText(
      'after',
      `\nExample:\n  $ trader secrets check binance-main\n  Master PIN: \n${pipedNote}\nExit codes: 0 it decrypts, 2 wrong PIN / unknown name / it does not decrypt, 4 PIN entry locked after repeated wrong PINs.`,
    )
    .action(
      action(async (name: string, opts: JsonFlag) => {
        const key = await withDb('secrets check', async (db) => {
          const row = await existingKey(db, name);
          const pin = await requirePin(db, `check API key ${name}`);
          await loadApiKey(db, pin, name);
          return row;
        });
        output(
          opts,
          { ok: true, key, decrypts: true },
          () => `API key '${key.name}' (${key.exchange}) decrypts with the master PIN.`,
        );
      }),
    );
}
