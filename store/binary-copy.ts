/**
 * Rows in Postgres' binary COPY format, for `Queryable.copyFrom`: a header, then per row a
 * field count and each field as a length and its bytes (big-endian), then a trailer. Numbers
 * travel as their eight bytes, so a float8 arrives bit for bit with no text round trip, and
 * building 66,000 candle rows takes milliseconds where formatting them as text takes a third
 * of a second (measured; text formatting, not the server, was what limited a text COPY).
 */

/** A column of the rows: one text for every row, or one number per row. */
export type CopyField =
  | { kind: 'text'; value: string }
  | { kind: 'float8'; values: ArrayLike<number> }
  /** Milliseconds since 1970, written as timestamptz (whole microseconds). */
  | { kind: 'timestamptz'; ms: ArrayLike<number> };

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // PGCOPY\n\377\r\n\0
const HEADER_BYTES = SIGNATURE.length + 8; // flags and header extension length, both 0
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** `rows` rows of `fields`, encoded for `COPY ... FROM STDIN WITH (FORMAT binary)`. */
export function binaryCopyRows(rows: number, fields: readonly CopyField[]): Uint8Array<ArrayBuffer> {
  const texts = fields.map((f) => (f.kind === 'text' ? new TextEncoder().encode(f.value) : null));
  const numbers = fields.map((f) => (f.kind === 'float8' ? f.values : f.kind === 'timestamptz' ? f.ms : null));
  const isTime = fields.map((f) => f.kind === 'timestamptz');
  const rowBytes = 2 + fields.reduce((sum, _, k) => sum + 4 + (texts[k]?.length ?? 8), 0);
  const bytes = new Uint8Array(HEADER_BYTES + rows * rowBytes + 2);
  const view = new DataView(bytes.buffer);
  bytes.set(SIGNATURE, 0);
  let at = HEADER_BYTES;
  for (let i = 0; i < rows; i++) {
    view.setInt16(at, fields.length);
    at += 2;
    for (let k = 0; k < fields.length; k++) {
      const text = texts[k];
      if (text) {
        view.setInt32(at, text.length);
        bytes.set(text, at + 4);
        at += 4 + text.length;
        continue;
      }
      view.setInt32(at, 8);
      const value = numbers[k]![i]!;
      if (isTime[k]) {
        // Whole microseconds since 2000 as a big-endian int64, in two halves (no BigInt per row).
        const us = Math.round((value - POSTGRES_EPOCH_MS) * 1000);
        const high = Math.floor(us / 2 ** 32);
        view.setInt32(at + 4, high);
        view.setUint32(at + 8, us - high * 2 ** 32);
      } else view.setFloat64(at + 4, value);
      at += 12;
    }
  }
  view.setInt16(at, -1); // trailer
  return bytes;
}

/** `copy <table> (<columns>) from stdin` in binary, for identifiers the code itself names. */
export function copyStatement(table: string, columns: readonly string[], source: 'stdin' | "'/dev/blob'"): string {
  for (const name of [table, ...columns]) {
    if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  }
  return `copy ${table} (${columns.join(', ')}) from ${source} with (format binary)`;
}
