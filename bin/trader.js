#!/usr/bin/env node
// The `trader` bin runs the compiled JavaScript in dist/ (built by `npm ci` through the
// prepare script) when it matches the sources, and otherwise the TypeScript sources
// through tsx: an edited checkout stays correct, only slower to start.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distIsFresh } from './dist-fresh.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (distIsFresh(root)) {
  await import('../dist/orchestrator/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../orchestrator/cli/main.ts');
}
