// Module hooks for load-probe.mjs: one line per resolved or loaded URL.
import fs from 'node:fs';

let out = '';
export function initialize(data) {
  out = data.out;
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  fs.appendFileSync(out, `${result.url}\n`);
  return result;
}
export async function load(url, context, next) {
  fs.appendFileSync(out, `${url}\n`);
  return next(url, context);
}
