import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const above = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The folder holding package.json: shipped files (migrations, modules, sample data) are
 * found from here, whether this file runs from core/ (through tsx) or from dist/core/.
 */
export const packageRoot = fs.existsSync(path.join(above, 'package.json')) ? above : path.dirname(above);

export const migrationsDir = path.join(packageRoot, 'supabase', 'migrations');
export const sampleDataDir = path.join(packageRoot, 'data', 'sample');

/** Module files load only from inside this folder (`TRADER_MODULES_ROOT` overrides it). */
export function modulesRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.TRADER_MODULES_ROOT || path.join(packageRoot, 'modules'));
}

/** trader's own version, from its package.json (the CLI's --version, each worker's row). */
export const traderVersion = (
  JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;
