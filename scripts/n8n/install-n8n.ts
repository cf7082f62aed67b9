import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from './processes.ts';

/**
 * n8n 2.8.x: the newest n8n that runs on Node 20. Its install pins xlsx to the npm
 * registry's 0.18.5, because n8n's own dependency downloads xlsx from a host outside
 * the npm registry, which a closed network cannot reach.
 */
export const n8nRange = '~2.8.0';
const manifest = {
  name: 'trader-n8n-test',
  private: true,
  dependencies: { n8n: n8nRange },
  overrides: { xlsx: '0.18.5' },
};

export interface N8nInstall {
  bin: string;
  version: string;
  ms: number;
  reused: boolean;
}

function installedVersion(dir: string): string | null {
  const pkg = path.join(dir, 'node_modules', 'n8n', 'package.json');
  if (!fs.existsSync(pkg)) return null;
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** Installs n8n into `dir`, or reuses the n8n 2.8.x already there (N8N_INSTALL_DIR). */
export async function installN8n(dir: string): Promise<N8nInstall> {
  const bin = path.join(dir, 'node_modules', '.bin', 'n8n');
  const existing = installedVersion(dir);
  if (existing?.startsWith('2.8.') && fs.existsSync(bin)) return { bin, version: existing, ms: 0, reused: true };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const done = await runCommand(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    env: process.env,
    cwd: dir,
    timeoutMs: 25 * 60_000,
  });
  const version = installedVersion(dir);
  if (done.code !== 0 || version === null)
    throw new Error(
      `npm install of n8n ${n8nRange} in ${dir} failed (exit ${done.code}):\n${done.stderr.slice(-2000)}`,
    );
  return { bin, version, ms: done.ms, reused: false };
}
