import type { SqlResult } from './user-sql.ts';

/** The widest a cell is printed; longer values end in '...' (use --json for them whole). */
const maxCell = 80;

function cell(v: unknown): string {
  const text =
    v === null || v === undefined
      ? ''
      : v instanceof Date
        ? v.toISOString()
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  const line = text.replace(/\s+/g, ' ');
  return line.length > maxCell ? `${line.slice(0, maxCell - 3)}...` : line;
}

/** Rows as an aligned text table with a header, psql style, and the row count. */
export function renderSqlTable(result: SqlResult): string {
  const count = `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
  if (result.columns.length === 0) return count;
  const cells = result.rows.map((r) => result.columns.map((c) => cell(r[c])));
  const widths = result.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  return [line(result.columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line), count].join('\n');
}
