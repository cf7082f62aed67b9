import { TraderError } from './errors.ts';

/**
 * Questions to the user on the terminal, or answers piped on stdin for scripts.
 *
 * Secrets (the PIN, API keys) are read here and nowhere else: from a prompt that does
 * not echo, or one line each from stdin, in the order they are asked. Never from argv,
 * where they would land in the shell history and the process list.
 */
export interface Prompter {
  /** A secret, typed without echo on a terminal, else the next stdin line. */
  secret(label: string): Promise<string>;
  /** A visible answer (e.g. a typed confirmation phrase). */
  line(label: string): Promise<string>;
  /** Yes/no; `--yes` answers yes for scripts. Without a terminal and without --yes, refuses. */
  confirm(question: string, yes: boolean | undefined): Promise<boolean>;
}

let pipedLines: Promise<string[]> | undefined;

function readAllStdin(): Promise<string[]> {
  pipedLines ??= new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => (data += d));
    process.stdin.once('end', () => resolve(data.split(/\r?\n/)));
    process.stdin.once('error', reject);
  });
  return pipedLines;
}

let nextLine = 0;

async function pipedAnswer(label: string): Promise<string> {
  const lines = await readAllStdin();
  const answer = lines[nextLine++];
  if (answer === undefined || (answer === '' && nextLine >= lines.length)) {
    throw new TraderError(
      'BAD_INPUT',
      `No answer for "${label}" on stdin; pipe one line per question (or run the command in a terminal).`,
    );
  }
  return answer;
}

function ttyAnswer(label: string, hidden: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(`${label}: `);
    stdin.setEncoding('utf8');
    if (hidden) stdin.setRawMode(true);
    let answer = '';
    const done = (fn: () => void) => {
      stdin.off('data', onData);
      if (hidden) stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      fn();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(answer));
        if (ch === '\u0003') return done(() => reject(new TraderError('BAD_INPUT', 'Cancelled.')));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
        if (!hidden) process.stderr.write(ch);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

const ask = (label: string, hidden: boolean) => (process.stdin.isTTY ? ttyAnswer(label, hidden) : pipedAnswer(label));

export const prompter: Prompter = {
  secret: (label) => ask(label, true),
  line: (label) => ask(label, false),
  async confirm(question, yes) {
    if (yes) return true;
    if (!process.stdin.isTTY)
      throw new TraderError('BAD_INPUT', 'This change needs confirmation; run it in a terminal or add --yes.');
    const answer = await ttyAnswer(`${question} [y/N]`, false);
    return /^y(es)?$/i.test(answer.trim());
  },
};
