import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseEnv,
  type CliBackend,
  cliBackends,
  demoAsOfIso,
  expectCleanError,
  expectJsonError,
  ok,
  runCount,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

describe.each(cliBackends)('bad input through the real bin (%s)', (kind: CliBackend) => {
  /** Migrated, seeded and imported; no runs. Tests here only read it, except where they clone it. */
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind);
  }, 180_000);
  afterAll(async () => t?.dispose());

  it('a bad `run` as JSON: one document on stdout, the sentence on stderr, no run row', async () => {
    const json = await runTrader(['run', '--symbols', 'btc', '--as-of', demoAsOfIso, '--json'], t.env);
    expect(json.code).toBe(2);
    expect(expectJsonError(json, 'BAD_INPUT').error.message).toMatch(/'btc' is not a symbol/);
    expect(await runCount(t)).toBe(0);
  }, 60_000);

  it('runs show and module show refuse bad or unknown ids with exit 2', async () => {
    expectCleanError(
      await runTrader(['runs', 'show', 'not-a-uuid'], t.env),
      2,
      /^trader: 'not-a-uuid' is not a run id \(a UUID\)/,
    );

    const id = randomUUID();
    const missing = await runTrader(['runs', 'show', id, '--json'], t.env);
    expect(missing.code).toBe(2);
    expect(expectJsonError(missing, 'NOT_FOUND').error.message).toBe(
      `Run ${id} does not exist; see \`trader runs list\`.`,
    );

    const mod = await runTrader(['module', 'show', 'nope', '--json'], t.env);
    expect(mod.code).toBe(2);
    expect(expectJsonError(mod, 'NOT_FOUND').error.message).toMatch(
      /'nope' is not registered; see `trader module list`/,
    );

    expectCleanError(
      await runTrader(['runs', 'list', '--limit', '0'], t.env),
      2,
      /--limit must be a whole number from 1 to 1000, not '0'/,
    );
    expectCleanError(await runTrader(['runs', 'list', '--trigger-ref', ''], t.env), 2, /--trigger-ref is not usable: /);
  }, 120_000);

  it('a plan that breaks several rules: validate and run list every problem, exit 2, write no run', async () => {
    // The untouched setup is a valid plan: validate is not simply always failing.
    const valid = await ok(t, 'pipeline', 'validate');
    expect(valid.stdout.trimEnd().endsWith('The plan is valid.')).toBe(true);

    const broken = await t.clone();
    try {
      await ok(broken, 'module', 'deactivate', 'breakout_v1');
      await ok(broken, 'module', 'deactivate', 'trend_volatility_v1');
      const expected: RegExp[] = [
        /^pipeline default, context slot trend_volatility_v1: module trend_volatility_v1 is inactive; run `trader module activate trend_volatility_v1`$/,
        /^pipeline default, agent slot breakout_v1: module breakout_v1 is inactive; run `trader module activate breakout_v1`$/,
      ];
      if (broken.sql) {
        // On Postgres, also break params by SQL: out of range, and an unknown key.
        await broken.sql`update pipeline_config set params = '{"min_signals": 0}' where module_id = 'n_of_m_v1'`;
        await broken.sql`update pipeline_config set params = '{"bogus": 3}' where module_id = 'fixed_fractional_v1'`;
        expected.push(
          /^pipeline default, confluence slot n_of_m_v1: params\.min_signals must be at least 1$/,
          /^pipeline default, risk slot fixed_fractional_v1: params has a field it does not know: bogus$/,
        );
      }

      const text = await runTrader(['pipeline', 'validate'], broken.env);
      expect(text.code).toBe(2);
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`The plan has ${expected.length} problem(s):`);
      const listed = lines.slice(1).map((l) => l.replace(/^ {2}- /, ''));
      expect(listed).toHaveLength(expected.length);
      for (const re of expected)
        expect(
          listed.filter((l) => re.test(l)),
          String(re),
        ).toHaveLength(1);

      const json = await runTrader(['pipeline', 'validate', '--json'], broken.env);
      expect(json.code).toBe(2);
      const doc = JSON.parse(json.stdout) as {
        ok: boolean;
        problems: { where: string; message: string }[];
        plans: object;
      };
      expect(doc.ok).toBe(false);
      expect(doc.problems.map((p) => `${p.where}: ${p.message}`).sort()).toEqual([...listed].sort());

      const run = await runTrader(['run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', demoAsOfIso], broken.env);
      expect(run.stdout).toBe('');
      expectCleanError(
        run,
        2,
        new RegExp(`^trader: Pipeline 'default' cannot run: its plan has ${expected.length} problems:$`),
        { extraLines: /^ {2}- pipeline default, / },
      );
      const runListed = run.stderr
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.replace(/^ {2}- /, ''));
      expect([...runListed].sort()).toEqual([...listed].sort());
      expect(await runCount(broken)).toBe(0);
    } finally {
      await broken.dispose();
    }
  }, 240_000);
});

describe('an unreachable DATABASE_URL', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-cli-unreachable-'));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('exits 1 with one line naming the URL and what to do, and does not fall back to the embedded database', async () => {
    const url = 'postgres://postgres@127.0.0.1:1/x';
    const r = await runTrader(['runs', 'list'], baseEnv({ DATABASE_URL: url, TRADER_HOME: home }));
    expect(r.stdout).toBe('');
    expectCleanError(
      r,
      1,
      /^trader: Cannot reach the database at postgres:\/\/postgres@127\.0\.0\.1:1\/x .*check DATABASE_URL, or unset it to use the embedded database\.$/,
    );
    expect(fs.readdirSync(home)).toEqual([]);
  }, 60_000);

  it('never prints the password, as text or as JSON', async () => {
    const password = 'hunter2-Sup3rSecret';
    const env = baseEnv({ DATABASE_URL: `postgres://trader:${password}@127.0.0.1:1/x`, TRADER_HOME: home });
    const text = await runTrader(['run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso], env);
    expectCleanError(text, 1, /Cannot reach the database at postgres:\/\/trader:\*\*\*@127\.0\.0\.1:1\/x /);
    const json = await runTrader(['run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, '--json'], env);
    expect(json.code).toBe(1);
    expect(expectJsonError(json, 'TRANSIENT').error.message).toMatch(/trader:\*\*\*@127\.0\.0\.1:1\/x/);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      expect(out).not.toContain(password);
      expect(out).not.toContain('Sup3rSecret');
    }
  }, 60_000);
});
