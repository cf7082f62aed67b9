#!/usr/bin/env node
// `npm run build` (run by `npm ci` through the prepare script): compiles the engine and
// CLI to dist/ with tsc, then stamps the build so bin/trader.js can tell a dist that
// matches the sources from one that an edit has left behind.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtFrom, distStamp } from '../bin/dist-fresh.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

fs.rmSync(dist, { recursive: true, force: true });
const { status } = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (status !== 0) {
  process.stderr.write('build: tsc could not compile the sources; `trader` will run them through tsx instead\n');
  process.exit(status ?? 1);
}
fs.writeFileSync(distStamp(root), `${builtFrom(root)}\n`);
