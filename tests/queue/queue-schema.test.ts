import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsDir, packageRoot } from '../../core/paths.ts';
import { queueSchemaDdl } from '../../queue/queue-ddl.ts';
import { symbolJobId } from '../../queue/queues.ts';
import { uuid5 } from '../../core/uuid5.ts';

describe('the job queue schema', () => {
  it('is exactly the pinned pg-boss DDL (an upgrade needs a new migration)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies['pg-boss']).toBe('10.4.2');
    const migration = fs.readFileSync(path.join(migrationsDir, '20261206100000_job_queue.sql'), 'utf8');
    const generated = queueSchemaDdl();
    expect(generated).toContain('CREATE TABLE pgboss.job');
    const start = migration.indexOf('CREATE SCHEMA IF NOT EXISTS pgboss');
    expect(migration.slice(start, start + generated.length)).toBe(generated);
    expect(migration.slice(start + generated.length)).toMatch(/^-- trader's queues/);
  });

  it('gives a symbol of a run the same job id every time, and another symbol another', () => {
    // The value Python's uuid.uuid5(uuid.NAMESPACE_URL, 'www.example.com') gives: the same algorithm.
    expect(uuid5('www.example.com')).toBe('b63cdfa4-3df9-568e-97ae-006c5b8fd652');
    const run_id = '7cbc0dff-0055-4e2c-9c3d-85a7c02734d2';
    expect(symbolJobId({ run_id, symbol: 'BTC/USDT' })).toBe(symbolJobId({ run_id, symbol: 'BTC/USDT' }));
    expect(symbolJobId({ run_id, symbol: 'BTC/USDT' })).not.toBe(symbolJobId({ run_id, symbol: 'ETH/USDT' }));
  });
});
