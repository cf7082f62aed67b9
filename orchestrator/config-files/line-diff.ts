/**
 * A line diff of two small texts (configuration files), for the "what will change" view
 * shown before an apply: `-` lines go, `+` lines come, unchanged lines are shown only near
 * a change. Longest common subsequence; the files are at most a few thousand lines.
 */
export function lineDiff(before: string, after: string, context = 2): string {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  // lcs[i][j]: length of the common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ op: ' ', line: a[(j++, i++)]! });
    // On a tie the old line goes first, so a replaced line reads "- old" then "+ new".
    else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!))
      ops.push({ op: '-', line: a[i++]! });
    else ops.push({ op: '+', line: b[j++]! });
  }
  const near = (k: number) => ops.slice(Math.max(0, k - context), k + context + 1).some((o) => o.op !== ' ');
  const out: string[] = [];
  let skipped = false;
  for (const [k, o] of ops.entries()) {
    if (o.op === ' ' && !near(k)) {
      if (!skipped) out.push('  ...');
      skipped = true;
      continue;
    }
    skipped = false;
    out.push(`${o.op} ${o.line}`);
  }
  return out.join('\n');
}
