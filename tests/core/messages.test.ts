import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pathText, quote, shortText } from '../../core/quote.ts';
import { issueText, schemaProblems } from '../../core/schema-problems.ts';
import { stderrLine } from '../../core/logger.ts';

describe('quote: what a message shows of user input', () => {
  it('short input as it is, in quotes', () => {
    expect(quote('BTC/USDT')).toBe("'BTC/USDT'");
    expect(shortText(42)).toBe('42');
  });

  it('long input as its first 60 characters and its length, whatever the length', () => {
    expect(quote('A'.repeat(100_000))).toBe(`'${'A'.repeat(60)}…' (100000 characters)`);
    expect(quote('B'.repeat(61))).toBe(`'${'B'.repeat(60)}…' (61 characters)`);
    expect(quote('C'.repeat(60))).toBe(`'${'C'.repeat(60)}'`);
    expect(pathText(`/${'d'.repeat(300)}`)).toBe(`/${'d'.repeat(159)}… (301 characters)`);
  });

  it('one line: newlines and control characters are shown as escapes, characters counted as characters', () => {
    expect(quote('a\nb\r\tc\u001b[2J\u0000\u2028')).toBe("'a\\nb\\r\\tc\\u001b[2J\\u0000\\u2028'");
    expect(quote('😀'.repeat(61))).toBe(`'${'😀'.repeat(60)}…' (61 characters)`);
  });
});

describe('schema problems: <where>: <path> <problem in words>', () => {
  const Row = z
    .object({
      period: z.number().int().min(2),
      side: z.enum(['long', 'short']),
      name: z.string().max(3),
      symbols: z.array(z.string()).min(1),
      nested: z.object({ on: z.boolean() }),
      limit: z.number().max(1000, 'limit is at most 1000'),
    })
    .strict();

  it('each zod issue becomes a sentence with its path; an author-written message is kept', () => {
    const r = Row.safeParse({
      period: 1.5,
      side: 'up',
      name: 'long',
      symbols: [],
      nested: { on: 'yes' },
      limit: 5000,
      x: 1,
    });
    expect(schemaProblems('pipeline_config row default/3', r.error!)).toBe(
      [
        'pipeline_config row default/3: period must be a whole number',
        'side must be one of long, short',
        'name must have at most 3 characters',
        'symbols must have at least 1 items',
        'nested.on must be true or false, not text',
        'limit: limit is at most 1000',
        'the value has a field it does not know: x',
      ].join('; '),
    );
  });

  it('a missing field, a prefix, an index, a bound', () => {
    const r = z
      .object({ items: z.array(z.object({ qty: z.number().positive() })) })
      .safeParse({ items: [{ qty: 0 }, {}] });
    expect(r.error!.issues.map((i) => issueText(i, ['body']))).toEqual([
      'body.items[0].qty must be more than 0',
      'body.items[1].qty is missing (a number is required)',
    ]);
    expect(issueText(z.string().uuid().safeParse('nope').error!.issues[0]!)).toBe('the value must be a UUID');
  });

  it('never zod’s own wording', () => {
    const r = Row.safeParse({});
    expect(schemaProblems('x', r.error!)).not.toMatch(
      /Invalid input|expected \w+, received|Too (big|small)|Unrecognized/,
    );
  });
});

describe('log lines on stderr', () => {
  const info = JSON.stringify({ level: 30, time: 1, msg: 'run started', run_id: 'r1' }) + '\n';
  const warn = JSON.stringify({ level: 40, time: 1, msg: 'reaped', run_id: 'r1' }) + '\n';

  it('auto: a terminal sees warnings as text and no info; a pipe gets JSON', () => {
    expect(stderrLine(info, 'auto', true)).toBeNull();
    expect(stderrLine(warn, 'auto', true)).toBe('[warn] reaped  run_id=r1\n');
    expect(stderrLine(info, 'auto', false)).toBe(info);
  });

  it('human and json: every line, in that form, terminal or not', () => {
    expect(stderrLine(info, 'human', false)).toBe('[info] run started  run_id=r1\n');
    expect(stderrLine(info, 'json', true)).toBe(info);
  });
});
