import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAsOfIso, ok, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/** The header row of a human table and the rows under it. */
function tableOf(stdout: string, header: RegExp): string[] {
  const lines = stdout.trimEnd().split('\n');
  const at = lines.findIndex((l) => header.test(l));
  expect(at, stdout).toBeGreaterThanOrEqual(0);
  return lines.slice(at + 1);
}

/**
 * Every list command prints a header row of column names over aligned columns; `--json`
 * is unchanged (its documents are tested with each command). Audit, secrets, proposals
 * and backtest lists are checked in their own suites.
 */
describe('list commands have headers (pglite)', () => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget('pglite');
    await ok(t, 'mode', 'set', 'full_auto', '--yes');
    await ok(t, 'run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, '--offline');
    await ok(t, 'schedule', 'add', '0 * * * *', '--symbols', 'BTC/USDT', '--name', 'hourly');
    await ok(t, 'serve', 'token', 'create', '--name', 'n8n');
  }, 300_000);
  afterAll(async () => t?.dispose());

  it('runs, modules, data, schedules, tokens, migrations, positions and trades', async () => {
    const runs = tableOf(
      (await ok(t, 'runs', 'list')).stdout,
      /^run_id +started +status +pipeline +symbols +trigger +ref$/,
    );
    expect(runs).toEqual([expect.stringMatching(/^[0-9a-f-]{36} +\S+Z +succeeded +default +BTC\/USDT +cli$/)]);

    const modules = tableOf((await ok(t, 'module', 'list')).stdout, /^active +type +module_id +version +file$/);
    expect(modules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^yes +agent +breakout_v1 +1\.0\.0 +modules\/agents\/breakout_v1\.ts$/),
      ]),
    );
    // Aligned: every row's module_id starts in the header's column.
    const header = (await ok(t, 'module', 'list')).stdout.split('\n')[0]!;
    for (const row of modules) expect(row[header.indexOf('module_id') - 1]).toBe(' ');

    const data = tableOf((await ok(t, 'data', 'list')).stdout, /^exchange +symbol +timeframe +first +last +rows$/);
    expect(data).toHaveLength(2);

    const schedules = tableOf(
      (await ok(t, 'schedule', 'list')).stdout,
      /^id +name +cron +timezone +mode +grace +runs +next tick +last tick$/,
    );
    expect(schedules).toEqual([
      expect.stringMatching(/^1 +hourly +0 \* \* \* \* +UTC +TEST +10 min +default BTC\/USDT 1h +\S+ .* never$/),
    ]);

    const tokens = tableOf((await ok(t, 'serve', 'token', 'list')).stdout, /^name +created +last used +revoked$/);
    expect(tokens).toEqual([expect.stringMatching(/^n8n +\S+Z +never$/)]);

    const migrations = tableOf((await ok(t, 'db', 'status')).stdout, /^state +migration$/);
    expect(migrations.every((l) => /^applied +\d+_\w+$/.test(l))).toBe(true);

    const positions = tableOf(
      (await ok(t, 'positions')).stdout,
      /^id +symbol +side +qty +entry +stop +last +last at +uP&L +margin +leverage$/,
    );
    expect(positions).toEqual([expect.stringMatching(/^#1 +BTC\/USDT +long +[\d.]+ /)]);

    const trades = tableOf(
      (await ok(t, 'trades')).stdout,
      /^time +position +symbol +kind +side +qty +price +fee +P&L +cash +asset$/,
    );
    expect(trades).toEqual([expect.stringMatching(/^\S+Z +#1 +BTC\/USDT +\w+ +buy /)]);
  }, 120_000);
});
