import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
// @ts-expect-error: a plain JavaScript helper of the bin, without type declarations
import { distIsFresh } from '../bin/dist-fresh.js';
import type { TemplateRef } from './helpers/templates.ts';
import { adminUrl } from './helpers/db.ts';
import { startDropper } from './helpers/drop-queue.ts';

/**
 * Where this run's database copies live. Every PGlite test database and CLI home is a copy
 * of a template (tens of megabytes) made, written and removed per test; on a RAM file
 * system that costs a fifth of what it does on the disk (measured: 0.13 s against 0.6 s to
 * 2.6 s for copy and removal on the loaded 2-core machine), so /dev/shm when it has room
 * (a container's default 64 MB does not), else the usual temporary folder.
 */
function scratchRoot(): string {
  const ram = '/dev/shm';
  try {
    fs.accessSync(ram, fs.constants.W_OK | fs.constants.X_OK);
    const { bavail, bsize } = fs.statfsSync(ram);
    if (bavail * bsize >= 4 * 2 ** 30) return ram;
  } catch {
    // No /dev/shm here: the disk it is.
  }
  return os.tmpdir();
}

/**
 * The suite spawns `trader` hundreds of times; compiled, each start saves the TypeScript
 * compilation. After an edit dist/ no longer matches the sources (and bin/trader.js
 * would fall back to tsx), so it is rebuilt once here, before any test runs. The run's
 * shared templates (helpers/demo-template.ts) and the tests' copies of them get a folder,
 * removed with what they hold at the end (a copy a crashed test left behind included).
 * Test Postgres databases are dropped here too, queued by the tests (helpers/drop-queue.ts).
 */
export default function setup(project: TestProject): () => Promise<void> {
  const root = path.resolve(import.meta.dirname, '..');
  if (!distIsFresh(root)) {
    const { status } = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
    if (status !== 0) throw new Error('npm run build failed; see the output above');
  }
  const scratchDir = fs.mkdtempSync(path.join(scratchRoot(), 'trader-run-'));
  const templatesDir = path.join(scratchDir, 'templates');
  fs.mkdirSync(templatesDir);
  project.provide('templatesDir', templatesDir);
  project.provide('scratchDir', scratchDir);
  const dropper = startDropper(scratchDir, adminUrl);
  return async () => {
    await dropper.drain();
    const refs = fs
      .readdirSync(templatesDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(templatesDir, f), 'utf8')) as TemplateRef);
    const admin = postgres(adminUrl, { onnotice: () => {}, max: 1 });
    try {
      for (const ref of refs) {
        if (ref.home) fs.rmSync(ref.home, { recursive: true, force: true });
        if (ref.dataDir) fs.rmSync(ref.dataDir, { recursive: true, force: true });
        if (ref.database) await admin.unsafe(`drop database if exists ${ref.database} with (force)`);
      }
    } finally {
      await admin.end();
      fs.rmSync(scratchDir, { recursive: true, force: true });
    }
  };
}
