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

/**
 * The suite spawns `trader` hundreds of times; compiled, each start saves the TypeScript
 * compilation. After an edit dist/ no longer matches the sources (and bin/trader.js
 * would fall back to tsx), so it is rebuilt once here, before any test runs. The run's
 * shared templates (helpers/demo-template.ts) get a folder, removed with what they hold
 * at the end.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const root = path.resolve(import.meta.dirname, '..');
  if (!distIsFresh(root)) {
    const { status } = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
    if (status !== 0) throw new Error('npm run build failed; see the output above');
  }
  const templatesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-templates-'));
  project.provide('templatesDir', templatesDir);
  return async () => {
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
      fs.rmSync(templatesDir, { recursive: true, force: true });
    }
  };
}
