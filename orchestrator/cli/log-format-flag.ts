import { TraderError } from '../../core/errors.ts';
import { type LogFormat, logFormats } from '../../core/logger.ts';
import { quote } from '../../core/quote.ts';

/**
 * `--log-format auto|human|json` is read wherever it stands (before or after the command),
 * because the logger is set up before commander parses anything; it is taken out of the
 * arguments so no command has to declare it. Returns the arguments left and the format.
 */
export function takeLogFormat(argv: string[]): { argv: string[]; format: LogFormat } {
  const rest: string[] = [];
  let format: LogFormat = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    let value: string | undefined;
    if (a === '--log-format') value = argv[++i];
    else if (a.startsWith('--log-format=')) value = a.slice('--log-format='.length);
    else {
      rest.push(a);
      continue;
    }
    if (!logFormats.includes(value as LogFormat))
      throw new TraderError(
        'BAD_INPUT',
        value === undefined
          ? '--log-format needs a value: auto, human or json.'
          : `--log-format must be auto, human or json, not ${quote(value)}.`,
      );
    format = value as LogFormat;
  }
  return { argv: rest, format };
}
