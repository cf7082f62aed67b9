import type { ReturnMatrixDoc } from '../../analysis/return-matrix-report.ts';

/**
 * The text of `trader correlation matrix`: symbols as rows and columns, values with two
 * decimals. On a terminal each value is coloured by strength, red for strong positive
 * through yellow and plain to blue for negative; without a terminal, or with NO_COLOR set
 * (no-color.org), the same text without escape codes.
 */

/** Colour only for a person at a terminal who did not ask for none. */
export function useColour(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '';
}

/** ANSI colour of a correlation value, strongest first; null is dim. */
function colourOf(c: number | null): string {
  if (c === null) return '\x1b[2m';
  if (c >= 0.7) return '\x1b[1;31m';
  if (c >= 0.4) return '\x1b[31m';
  if (c >= 0.1) return '\x1b[33m';
  if (c > -0.1) return '';
  if (c > -0.4) return '\x1b[34m';
  return '\x1b[1;34m';
}

const shown = (c: number | null) => (c === null ? 'n/a' : c.toFixed(2));

export function renderHeatmap(doc: ReturnMatrixDoc, colour: boolean): string {
  const width = Math.max(5, ...doc.symbols.map((s) => s.length));
  const cell = (c: number | null) => {
    const text = shown(c).padStart(width);
    const code = colour ? colourOf(c) : '';
    return code ? `${code}${text}\x1b[0m` : text;
  };
  const head = `${''.padEnd(width)}  ${doc.symbols.map((s) => s.padStart(width)).join('  ')}`;
  const rows = doc.symbols.map((s, i) => `${s.padEnd(width)}  ${doc.matrix[i]!.map(cell).join('  ')}`);
  const short = doc.pairs.filter((p) => p.correlation !== null && p.bars < doc.bars_asked);
  const missing = doc.pairs.filter((p) => p.correlation === null);
  return [
    `Return correlation of ${doc.exchange} ${doc.timeframe} closes over ${doc.window} (${doc.bars_asked} bars) to ${doc.as_of}:`,
    head.trimEnd(),
    ...rows,
    ...(short.length ? [`Fewer bars than asked: ${short.map((p) => `${p.a}-${p.b} ${p.bars}`).join(', ')}.`] : []),
    ...missing.map((p) => `Not measured, ${p.a}-${p.b}: ${p.reason}.`),
    ...(colour ? ['Colours: red >= 0.70, light red >= 0.40, yellow >= 0.10, plain near 0, blue negative.'] : []),
  ].join('\n');
}
