/**
 * The one way an error message quotes what a user handed over (a symbol, a time, an id, a
 * path, a flag value, an HTTP body, a registry row): in single quotes, on one line, never
 * in full when it is long. Control characters (newlines included) are shown as escapes, so
 * a message stays one line a terminal cannot be tricked by; past `max` characters only the
 * start is shown, followed by the full length.
 */
export const quoteMax = 60;

const escapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(ch: string): string {
  const code = ch.codePointAt(0)!;
  const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
  if (!control) return ch;
  return escapes[ch] ?? `\\u${code.toString(16).padStart(4, '0')}`;
}

function cut(value: unknown, max: number): { shown: string; length: number; cut: boolean } {
  const chars = Array.from(typeof value === 'string' ? value : String(value));
  return { shown: chars.slice(0, max).map(escapeControl).join(''), length: chars.length, cut: chars.length > max };
}

/** The text itself, made one line and shortened: `abc…` plus ` (N characters)` when cut. */
export function shortText(value: unknown, max = quoteMax): string {
  const c = cut(value, max);
  return c.cut ? `${c.shown}… (${c.length} characters)` : c.shown;
}

/** `'value'`, or `'the first 60 characters…' (N characters)` for a long one. */
export function quote(value: unknown, max = quoteMax): string {
  const c = cut(value, max);
  return c.cut ? `'${c.shown}…' (${c.length} characters)` : `'${c.shown}'`;
}

/** A file path or an OS message naming one, unquoted as messages show paths: one line, cut past 160 characters. */
export function pathText(value: string): string {
  return shortText(value, 160);
}
