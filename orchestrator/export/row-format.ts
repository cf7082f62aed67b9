import { z } from 'zod';
import type { ExportColumn } from './export-kinds.ts';

/**
 * The two export formats. CSV follows RFC 4180: a header row, CRLF line ends, a field
 * quoted when it holds a comma, quote, CR or LF, quotes doubled; an empty field is SQL
 * null. JSON lines: one object per row, numbers written with the stored digits (never
 * rounded through a float), JSON columns embedded as JSON, null as null.
 */

export const ExportFormat = z.enum(['csv', 'jsonl']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export type TextRow = Record<string, string | null>;

const needsQuotes = /[",\r\n]/;
export const csvField = (v: string | null): string =>
  v === null ? '' : needsQuotes.test(v) ? `"${v.replace(/"/g, '""')}"` : v;

const jsonNumber = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function jsonValue(c: ExportColumn, v: string | null): string {
  if (v === null) return 'null';
  if (c.type === 'json') return v;
  // Postgres writes numerics as JSON numbers already; NaN or Infinity (float8) stay strings.
  if (c.type === 'number' && jsonNumber.test(v)) return v;
  return JSON.stringify(v);
}

/** The text before the first row (the CSV header; nothing for JSON lines). */
export function formatHeader(format: ExportFormat, columns: readonly ExportColumn[]): string {
  return format === 'csv' ? `${columns.map((c) => csvField(c.name)).join(',')}\r\n` : '';
}

export function formatRow(format: ExportFormat, columns: readonly ExportColumn[], row: TextRow): string {
  if (format === 'csv') return `${columns.map((c) => csvField(row[c.name] ?? null)).join(',')}\r\n`;
  return `{${columns.map((c) => `${JSON.stringify(c.name)}:${jsonValue(c, row[c.name] ?? null)}`).join(',')}}\n`;
}
