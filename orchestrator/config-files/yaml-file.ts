import fs from 'node:fs/promises';
import { LineCounter, parseDocument, stringify } from 'yaml';
import type { z } from 'zod';
import { TraderError, errorMessage } from '../../core/errors.ts';
import { readTextFile } from '../../core/read-text-file.ts';

/**
 * Configuration files on disk: YAML (JSON is valid YAML, so JSON files read the same way).
 * The `yaml` package (eemeli/yaml) is used because it implements YAML 1.2 fully, has no
 * dependencies, reports errors with line and column, refuses duplicate keys, and can emit
 * comments, so an exported file reads like the hand-written example.
 */

/** A configuration file is small; anything larger is almost certainly the wrong file. */
const maxChars = 1_000_000;

/** A path or value shown in a message is cut, so a long input is never echoed in full. */
export const shorten = (text: string, max = 80) => (text.length > max ? `${text.slice(0, max)}...` : text);

/** Reads and parses a YAML or JSON file into plain data; every failure is one sentence naming the file. */
export async function readYamlFile(file: string): Promise<unknown> {
  const text = await readTextFile(file, 'a YAML or JSON file');
  const name = shorten(file);
  if (text.length > maxChars)
    throw new TraderError('BAD_INPUT', `${name} is larger than ${maxChars / 1000} KB: give a configuration file.`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  const error = doc.errors[0];
  if (error) {
    const at = lines.linePos(error.pos[0]);
    const where = ` at line ${at.line}, column ${at.col}`;
    const reason = error.message.split('\n')[0]!.replace(/\.$/, '');
    throw new TraderError('BAD_INPUT', `${name} is not valid YAML or JSON${where}: ${shorten(reason, 160)}.`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new TraderError('BAD_INPUT', `${name} cannot be read as data: ${shorten(errorMessage(e), 160)}.`);
  }
}

/** A zod failure as sentences with the path of each problem, at most `max` of them. */
export function issueSentences(error: z.ZodError, max = 10): string[] {
  const sentences = error.issues.slice(0, max).map((i) => {
    const path = i.path.join('.') || '(top level)';
    if (i.code === 'unrecognized_keys')
      return `${path === '(top level)' ? 'the file' : path} has unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${shorten(k, 40)}'`).join(', ')}`;
    return `${path}: ${i.message}`;
  });
  if (error.issues.length > max) sentences.push(`and ${error.issues.length - max} more problems`);
  return sentences;
}

/** Parses a file's data with its schema, or refuses the whole file with every problem. */
export function parseFile<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new TraderError(
    'BAD_INPUT',
    `The ${what} file is invalid, nothing was changed: ${issueSentences(parsed.error).join('; ')}.`,
    parsed.error.issues,
  );
}

/** YAML text of a document, with `header` as leading comment lines. */
export function toYaml(doc: unknown, header: string[] = []): string {
  const body = stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
  return [...header.map((h) => (h ? `# ${h}` : '#')), body].join('\n');
}

/** Writes an exported file; each way it can fail is one sentence. */
export async function writeTextFile(file: string, text: string): Promise<void> {
  try {
    await fs.writeFile(file, text, { encoding: 'utf8', flag: 'w' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const name = shorten(file);
    if (code === 'ENOENT') throw new TraderError('BAD_INPUT', `Cannot write ${name}: its folder does not exist.`);
    if (code === 'EISDIR') throw new TraderError('BAD_INPUT', `Cannot write ${name}: it is a directory; name a file.`);
    throw new TraderError(
      'BAD_INPUT',
      `Cannot write ${name} (${shorten(errorMessage(e), 120)}): check its permissions.`,
    );
  }
}
