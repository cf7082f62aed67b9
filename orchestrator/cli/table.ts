/**
 * The one way a list command prints rows for a human: a header row of column names, then
 * one row per item, each column padded to its widest cell, two spaces between columns, no
 * trailing blanks. `--json` never goes through here.
 */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      header
        .map((_, i) => (r[i] ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
