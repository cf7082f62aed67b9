/**
 * An RFC 4180 reader for tests: records end in CRLF, a quoted field may hold commas,
 * CRLF and doubled quotes. Strict on purpose: a bare LF, a quote inside an unquoted
 * field or text after a closing quote throws, so a writer that gets the format wrong
 * fails the test instead of being read generously.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const fail = (why: string) => {
    throw new Error(`not RFC 4180 at offset ${i}: ${why}`);
  };
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          field += '"';
          i += 2;
        } else field += text[i++];
      }
      i++;
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') fail('a quote or line feed in an unquoted field');
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      i += 2;
      records.push(record);
      record = [];
    } else fail('a field must end with a comma or CRLF');
  }
  if (record.length > 0) fail('the last record has no CRLF');
  return records;
}

/** The records as objects keyed by the header row. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, k) => [h, r[k]!])));
}
