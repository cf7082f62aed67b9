// Run by `npm ci` (the prepare script, before the build): guards postgres.js 3.4.x against a
// known crash (porsager/postgres#1154, #1208; fix proposed in #1209, not released in 3.4.10).
// A small write is flushed on the next tick; when the connection closed in between (a Postgres
// restart), the flush writes to a null socket and throws where no caller can catch it: the
// whole process dies (seen in tests/queue/scale-out-chaos.test.ts: a worker died when
// Postgres restarted). Also, a close cancels the pending flush without forgetting it, so the
// reconnected connection never flushes small writes again. The guard rejects what waits on
// the closed connection with CONNECTION_CLOSED (callers retry), and a close forgets the flush.
// Idempotent; a postgres.js whose code differs is left alone, and tests/store/postgres-guard.test.ts
// then fails, so an upgrade is checked rather than silently unguarded.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const marker = '/* trader: guarded (porsager/postgres#1208) */';

const edits = [
  [
    '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    `  function nextWrite(fn) {\n    ${marker}\n    if (socket === null) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  [
    '    clearImmediate(nextWriteTimer)\n    socket.removeListener',
    '    clearImmediate(nextWriteTimer)\n    nextWriteTimer = chunk = null\n    socket.removeListener',
  ],
];

/** Patches one copy (ESM or CommonJS) of connection.js; returns what happened to it. */
export function guardConnection(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (text.includes(marker)) return 'already guarded';
  if (!edits.every(([from]) => text.split(from).length === 2)) return 'unknown code: left alone';
  fs.writeFileSync(
    file,
    edits.reduce((t, [from, to]) => t.replace(from, to), text),
  );
  return 'guarded';
}

const dir = path.join(root, 'node_modules', 'postgres');
if (import.meta.url === `file://${process.argv[1]}` && fs.existsSync(dir))
  for (const rel of ['src/connection.js', 'cjs/src/connection.js']) {
    const file = path.join(dir, rel);
    if (fs.existsSync(file)) process.stdout.write(`patch-postgres: ${rel}: ${guardConnection(file)}\n`);
  }
