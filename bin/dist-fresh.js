// Whether dist/ (built by scripts/build.js) was compiled from the sources as they are
// now. The fingerprint is every compiled source file's path, size and modification time:
// an edit, a new file or a deleted one changes it, and reading it costs a few ms of stat
// calls, far less than compiling the TypeScript at start.
import fs from 'node:fs';
import path from 'node:path';

/** The folders tsconfig.build.json compiles. */
const SOURCES = [
  'analysis',
  'backtest',
  'core',
  'engine',
  'market',
  'optimise',
  'orchestrator',
  'queue',
  'registry',
  'sandbox',
  'sdk',
  'store',
  'trading',
];

export const distStamp = (root) => path.join(root, 'dist', '.built-from');

function walk(root, dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(root, p, out);
    else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.test.ts')) {
      const s = fs.statSync(p);
      out.push(`${path.relative(root, p)}:${s.size}:${s.mtimeMs}`);
    }
  }
  return out;
}

/** A short fingerprint of the sources. */
export function builtFrom(root) {
  const lines = SOURCES.flatMap((d) => walk(root, path.join(root, d), [])).sort();
  let h = 0x811c9dc5;
  for (const ch of lines.join('\n')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `${lines.length}-${h.toString(16)}`;
}

export function distIsFresh(root) {
  try {
    return fs.readFileSync(distStamp(root), 'utf8').trim() === builtFrom(root);
  } catch {
    return false;
  }
}
