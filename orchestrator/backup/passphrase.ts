import fs from 'node:fs';
import { TraderError } from '../../core/errors.ts';
import { prompter } from '../../core/prompt.ts';

/**
 * The backup passphrase, never from argv: `--passphrase-file` (its first line), else
 * TRADER_BACKUP_PASSPHRASE (unattended backups: the scheduler), else a hidden prompt, asked
 * twice when it is to seal a new backup so a typo cannot lock one away for good.
 */

const MIN_LENGTH = 12;

export async function backupPassphrase(
  o: { file?: string; env?: NodeJS.ProcessEnv; confirm?: boolean } = {},
): Promise<string> {
  const env = o.env ?? process.env;
  let passphrase: string;
  if (o.file !== undefined) {
    try {
      passphrase = fs.readFileSync(o.file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new TraderError(
        'BAD_INPUT',
        `The passphrase file ${o.file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
      );
    }
  } else if (env.TRADER_BACKUP_PASSPHRASE) {
    passphrase = env.TRADER_BACKUP_PASSPHRASE;
  } else {
    passphrase = await prompter.secret('Backup passphrase');
    if (o.confirm && (await prompter.secret('Backup passphrase again')) !== passphrase)
      throw new TraderError('BAD_INPUT', 'The two passphrases differ; nothing was written.');
  }
  if (o.confirm && passphrase.length < MIN_LENGTH)
    throw new TraderError('BAD_INPUT', `A backup passphrase needs at least ${MIN_LENGTH} characters.`);
  if (passphrase.length === 0) throw new TraderError('BAD_INPUT', 'The backup passphrase is empty.');
  return passphrase;
}
