import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../orchestrator/config-files/line-diff.ts';

describe('lineDiff', () => {
  it('shows a replaced line as - old then + new, with unchanged lines only near a change', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n');
    const after = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h', 'i'].join('\n');
    expect(lineDiff(before, after, 1).split('\n')).toEqual([
      '  ...',
      '  d',
      '- e',
      '+ E',
      '  f',
      '  ...',
      '  h',
      '+ i',
    ]);
  });

  it('everything is added when there was nothing, and identical texts have no change lines', () => {
    expect(lineDiff('', 'x\ny\n')).toBe('+ x\n+ y');
    expect(lineDiff('x\ny', 'x\ny')).toBe('  ...');
  });
});
