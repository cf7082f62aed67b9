import { html } from 'hono/html';
import { z } from 'zod';
import { invalidRequest } from '../http-errors.ts';
import type { Html } from './layout.ts';

/** The filter forms of list pages: optional query fields (an empty field is no filter), days, and labelled controls. */

const blank = (v: unknown) => (v === '' ? undefined : v);
export const opt = <T extends z.ZodType>(t: T) => z.preprocess(blank, t.optional());
export const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD');

/** A day's first instant, and (for "until") the first instant after it. */
export const dayStart = (d: string | undefined) => (d ? new Date(`${d}T00:00:00Z`) : undefined);
export const dayAfter = (d: string | undefined) =>
  d ? new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000) : undefined;

/** The page's query as a value of `schema`, or a 400 naming every bad field. */
export function queryOf<S extends z.ZodType>(query: Record<string, string>, schema: S): z.infer<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw invalidRequest('query', parsed.error.issues);
  return parsed.data;
}

type Values = Record<string, string | number | undefined>;

const field = (name: string, label: string, control: Html) =>
  html`<span class="field"><label for="f-${name}">${label}</label>${control}</span>`;

export const selectField = (name: string, label: string, options: readonly string[], q: Values) =>
  field(
    name,
    label,
    html`<select id="f-${name}" name="${name}">
      <option value="">any</option>
      ${options.map((o) => html`<option ${q[name] === o ? 'selected' : ''}>${o}</option>`)}
    </select>`,
  );

export const inputField = (name: string, label: string, q: Values, type = 'text') =>
  field(name, label, html`<input id="f-${name}" name="${name}" type="${type}" value="${q[name] ?? ''}" />`);
