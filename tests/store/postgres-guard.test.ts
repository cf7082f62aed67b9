import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';

/**
 * scripts/patch-postgres.js (run by `npm ci`) guards postgres.js against writing to a closed
 * socket, a crash no caller can catch that killed a worker when Postgres restarted. This
 * fails when the installed driver is not guarded: an upgrade changed its code, so check
 * whether the new version fixed the crash itself (then drop the patch) or adapt the patch.
 */
describe('the postgres.js guard', () => {
  const dir = path.join(packageRoot, 'node_modules', 'postgres');
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;

  it.each(['src/connection.js', 'cjs/src/connection.js'])('is applied to %s', (rel) => {
    const text = fs.readFileSync(path.join(dir, rel), 'utf8');
    expect(version, 'postgres.js is no longer 3.4.x: see scripts/patch-postgres.js').toMatch(/^3\.4\./);
    expect(text).toContain('/* trader: guarded (porsager/postgres#1208) */');
    expect(text).toMatch(
      /if \(socket === null\) \{\n\s+chunk = nextWriteTimer = null\n\s+error\(Errors\.connection\('CONNECTION_CLOSED', options\)\)/,
    );
    expect(text).toContain('clearImmediate(nextWriteTimer)\n    nextWriteTimer = chunk = null');
  });
});
