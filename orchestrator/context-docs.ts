import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../core/paths.ts';
import { contextKeys, type KeyName } from '../sdk/context-keys.ts';

/**
 * Renders `docs/context_dict_schema.md` from the context contract (`sdk/context-keys.ts`).
 * The page is never edited by hand: `trader schema docs` writes it and a test fails when the
 * checked-in file differs from what this function renders.
 */

export const contextDocsRelPath = 'docs/context_dict_schema.md';
export const contextDocsPath = path.join(packageRoot, contextDocsRelPath);

export type Json = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Json[];
  items?: Json;
  properties?: Record<string, Json>;
  required?: string[];
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
};

interface Row {
  field: string;
  type: string;
  required: boolean;
  constraints: string;
  description: string;
}

const SAFE = Number.MAX_SAFE_INTEGER;
export const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
export const code = (s: string) => `\`${s}\``;

export function typeName(s: Json): string {
  if (s.anyOf) return s.anyOf.map(typeName).join(' or ');
  if (s.enum) return `enum: ${s.enum.map((v) => code(String(v))).join(', ')}`;
  if (s.const !== undefined) return `constant ${code(JSON.stringify(s.const))}`;
  const t = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
  if (t === 'array') return `array of ${s.items ? typeName(s.items) : 'any'}`;
  if (t === 'string' && s.format) return `string (${s.format})`;
  return t;
}

export function constraints(s: Json): string[] {
  const out: string[] = [];
  for (const sub of s.anyOf ?? []) out.push(...constraints(sub));
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined && s.minimum !== -SAFE) out.push(`>= ${s.minimum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
  if (s.maximum !== undefined && s.maximum !== SAFE) out.push(`<= ${s.maximum}`);
  if (s.minItems !== undefined) out.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
  if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
  if (s.minLength !== undefined) out.push(`length >= ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length <= ${s.maxLength}`);
  // A format (uuid, date-time) already says what the long generated pattern checks.
  if (s.pattern !== undefined && s.format === undefined) out.push(`matches ${code(s.pattern)}`);
  if (s.items && s.items.type !== 'object') {
    const inner = constraints(s.items);
    if (inner.length > 0) out.push(`each ${inner.join(', ')}`);
  }
  return out;
}

/** One row per field; nested objects (also inside arrays) are flattened as `a.b` / `a[].b`. */
function rows(s: Json, prefix: string): Row[] {
  const out: Row[] = [];
  const required = new Set(s.required ?? []);
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    const field = `${prefix}${name}`;
    const isObjArray = prop.type === 'array' && prop.items?.type === 'object';
    out.push({
      field,
      type: prop.type === 'object' ? 'object' : isObjArray ? 'array of object' : typeName(prop),
      required: required.has(name),
      constraints: constraints(prop).join(', '),
      description: prop.description ?? '',
    });
    if (prop.type === 'object') out.push(...rows(prop, `${field}.`));
    const record = (prop as { additionalProperties?: Json }).additionalProperties;
    if (prop.type === 'object' && record && typeof record === 'object') {
      out.push({
        field: `${field}.<key>`,
        type: record.type === 'object' ? 'object' : typeName(record),
        required: false,
        constraints: constraints(record).join(', '),
        description: record.description ?? '',
      });
      const inner = record.anyOf?.find((x) => x.type === 'object') ?? record;
      if (inner.type === 'object') out.push(...rows(inner, `${field}.<key>.`));
    }
    if (isObjArray) out.push(...rows(prop.items!, `${field}[].`));
  }
  return out;
}

/** A markdown table of an object schema's fields, nested objects and arrays of objects flattened into dotted paths. */
export function fieldTable(schema: Json): string[] {
  return [
    '| field | type | required | constraints | description |',
    '|---|---|---|---|---|',
    ...rows(schema, '').map(
      (r) =>
        `| ${code(r.field)} | ${cell(r.type)} | ${r.required ? 'yes' : 'no'} | ${cell(r.constraints)} | ${cell(r.description)} |`,
    ),
  ];
}

function keySection(key: KeyName): string[] {
  const def = contextKeys[key];
  const full = z.toJSONSchema(def.schema) as Json;
  // A nullable object documents its fields; the shape line says it may be null.
  const objectOrNull =
    full.anyOf?.length === 2 && full.anyOf.some((x) => x.type === 'null')
      ? full.anyOf.find((x) => x.type === 'object')
      : undefined;
  const schema = objectOrNull ?? full;
  const lines = [`## \`${key}\``, '', cell(def.description), ''];
  const holds =
    def.kind === 'list'
      ? `- kind: **list**: several modules append items; each item has the shape below`
      : `- kind: **value**: one writer per run`;
  lines.push(
    holds,
    `- producer: ${def.producer === 'core' ? 'core (written before the first stage)' : `${def.producer} stage`}`,
  );
  if (schema.type === 'object' && schema.properties) {
    lines.push(objectOrNull ? '- shape: object, or null' : '- shape: object', '', ...fieldTable(schema));
  } else {
    const c = constraints(schema);
    lines.push(
      `- shape: ${typeName(schema)}${c.length > 0 ? `, ${c.join(', ')}` : ''}${schema.description ? `: ${schema.description}` : ''}`,
    );
  }
  lines.push('');
  return lines;
}

export function renderContextDocs(): string {
  const keys = Object.keys(contextKeys) as KeyName[];
  const lines = [
    '# Context dictionary',
    '',
    '<!-- GENERATED FILE: do not edit by hand. -->',
    '',
    '> Generated by `trader schema docs` from `sdk/context-keys.ts` and `sdk/context-schemas.ts`.',
    '> Do not edit this file by hand: change the schemas and run `trader schema docs`.',
    '> `trader schema docs --check` and `tests/docs/context-docs.test.ts` fail when it is stale.',
    '',
    'Every module sees a read-only view of the context restricted to its declared input keys and',
    'returns values for its declared output keys. *value* keys have one writer per run; *list*',
    'keys are appended to by several modules. Each value is validated with the schema below;',
    'an output that fails it is discarded as a contract violation.',
    '',
    '| key | kind | producer | meaning |',
    '|---|---|---|---|',
    ...keys.map((k) => {
      const d = contextKeys[k];
      return `| [${code(k)}](#${k}) | ${d.kind} | ${d.producer} | ${cell(d.description)} |`;
    }),
    '',
    ...keys.flatMap(keySection),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
