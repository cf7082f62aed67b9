import type { z } from 'zod';
import { quote, shortText } from './quote.ts';

/**
 * The one way a schema problem reaches a user: `<where>: <path> <problem in words>`, e.g.
 * "pipeline_config row default/3: params.period must be a whole number, not text", instead
 * of zod's own text ("Invalid input: expected int, received string"). A message a schema
 * author wrote in words (`.min(1, 'limit is at least 1')`) is kept as it is.
 */
type Issue = z.core.$ZodIssue;

const kinds: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  bigint: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  date: 'a date',
  array: 'a list',
  object: 'an object',
  tuple: 'a list',
  record: 'an object',
  map: 'a map',
  set: 'a set',
  null: 'null',
  function: 'a function',
  promise: 'a value (not a Promise)',
  nan: 'NaN',
  symbol: 'a symbol',
};
const kind = (name: string) => kinds[name] ?? name;

/** `params.period`, `symbols[2]`, or `the value` for the root. */
export function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the value';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${shortText(String(p), 40)}`))
    .join('');
}

// zod's built-in messages start like this; anything else was written by a schema's author.
const builtIn = /^(Invalid|Too (big|small)|Unrecognized key|Expected|Required)/;

function sizeWords(issue: Extract<Issue, { code: 'too_big' | 'too_small' }>): string {
  const big = issue.code === 'too_big';
  const limit = String(big ? issue.maximum : issue.minimum);
  const bound = issue.inclusive ? (big ? 'at most' : 'at least') : big ? 'less than' : 'more than';
  if (issue.origin === 'string') return `must have ${bound} ${limit} characters`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must have ${bound} ${limit} items`;
  if (issue.origin === 'date') return `must be ${big ? 'at or before' : 'at or after'} ${limit}`;
  return `must be ${bound} ${limit}`;
}

const formats: Record<string, string> = {
  uuid: 'a UUID',
  url: 'a URL',
  email: 'an e-mail address',
  datetime: 'an ISO time',
};

/** What is wrong, in words, without the path (zod's built-in messages only). */
function problemWords(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const received = /received (\w+)/.exec(issue.message)?.[1];
      if (received === 'undefined') return `is missing (${kind(issue.expected)} is required)`;
      if (issue.expected === 'int' && received === 'number') return 'must be a whole number';
      return `must be ${kind(issue.expected)}${received ? `, not ${kind(received)}` : ''}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${quote(String(issue.values[0]))}`
        : `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_big':
    case 'too_small':
      return sizeWords(issue);
    case 'invalid_format':
      return issue.format === 'regex'
        ? `does not have the expected form (${issue.pattern})`
        : `must be ${formats[issue.format] ?? `a ${issue.format}`}`;
    case 'unrecognized_keys':
      return `has ${issue.keys.length === 1 ? 'a field' : 'fields'} it does not know: ${issue.keys.map((k) => shortText(k, 40)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return 'matches none of the allowed forms';
    default:
      return issue.message.replace(/\.$/, '');
  }
}

/** What is wrong, without the path: in words, or the schema author's own. */
export function issueProblem(issue: Issue): string {
  return builtIn.test(issue.message) ? problemWords(issue) : issue.message.replace(/\.$/, '');
}

// An author's message that reads on from the path ("must be between 0.1 and 0.5") joins it with a space.
const predicate = /^(must|is|are|can|cannot|has|have|should|needs?)\b/;

/** One problem: `<path> <problem in words>`, or `<path>: <the schema author's own words>`. */
export function issueText(issue: Issue, prefix: readonly PropertyKey[] = []): string {
  const where = pathText([...prefix, ...issue.path]);
  if (builtIn.test(issue.message)) return `${where} ${problemWords(issue)}`;
  const own = issue.message.replace(/\.$/, '');
  return predicate.test(own) ? `${where} ${own}` : `${where}: ${own}`;
}

/** Every problem of a failed parse as `<where>: <path> <problem>; <path> <problem>`. */
export function schemaProblems(where: string, error: { issues: Issue[] }, prefix: readonly PropertyKey[] = []): string {
  return `${where}: ${error.issues.map((i) => issueText(i, prefix)).join('; ')}`;
}
