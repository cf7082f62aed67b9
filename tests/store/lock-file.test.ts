import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { acquireLockFile } from '../../store/lock-file.ts';

function contender(lock: string, inside: string, ms: number): Promise<{ acquired: number; violations: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(packageRoot, 'tests/fixtures/scripts/lock-contender.ts'), lock, inside, String(ms)],
      { cwd: packageRoot },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`contender exited ${code}`))));
  });
}

describe('the embedded data directory lock file', () => {
  it('never lets two processes hold it at once under contention', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-lock-'));
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => contender(path.join(dir, 'trader.lock'), path.join(dir, 'inside'), 2500)),
    );
    expect(results.reduce((n, r) => n + r.violations, 0)).toBe(0);
    expect(results.reduce((n, r) => n + r.acquired, 0)).toBeGreaterThan(20);
    expect(fs.existsSync(path.join(dir, 'trader.lock'))).toBe(false);
  });

  it('treats a fresh unreadable lock file as held, and an old one as stale', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-lock-'));
    const lock = path.join(dir, 'trader.lock');
    fs.writeFileSync(lock, '{}');
    expect(() => acquireLockFile(lock, 'test')).toThrow(/is being written by another process/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    const release = acquireLockFile(lock, 'test');
    expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(process.pid);
    release();
    expect(fs.existsSync(lock)).toBe(false);
    expect(process.listenerCount('exit')).toBeLessThan(5);
  });
});
