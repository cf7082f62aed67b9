import { prompter } from '../../core/prompt.ts';
import type { Ask } from './user-action.ts';

/**
 * The CLI's answers to governance questions: the terminal, or one stdin line per
 * question when piped. `yes` answers yes/no questions (never a phrase or the PIN);
 * `phrase` is a phrase given on the command line instead of typed (phrases are not secrets).
 */
export function askOnTerminal(options: { yes?: boolean; phrase?: string } = {}): Ask {
  return {
    confirm: (warning) => prompter.confirm(warning, options.yes),
    async phrase(warning, phrase) {
      if (options.phrase !== undefined) return options.phrase;
      process.stderr.write(`${warning}\n`);
      return prompter.line(`Type ${phrase}`);
    },
    pin: () => prompter.secret('Master PIN'),
  };
}
