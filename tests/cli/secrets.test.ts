import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  adapterCliBackend,
  expectCleanError,
  expectJsonError,
  migratedTarget,
  ok,
  runTrader,
  type Target,
  withInput,
} from '../helpers/cli.ts';

/** `trader secrets ...` through the real bin, answers piped on stdin one line each. */

const pin = 'cli-pin-271828';
const apiKey = 'cli-api-key-0123456789abcdef';
const secret = 'cli-api-secret-fedcba9876543210';
const lines = (...answers: string[]) => `${answers.join('\n')}\n`;

describe('secrets help', () => {
  it('every secrets command explains itself with an example', async () => {
    const env = { ...process.env };
    for (const cmd of ['init', 'add', 'list', 'remove', 'check']) {
      const r = await runTrader(['secrets', cmd, '--help'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Example:\\n  \\$ trader secrets ${cmd}`));
    }
  }, 120_000);
});

describe.each(adapterCliBackend)('trader secrets (%s)', (kind: CliBackend) => {
  let t: Target;
  beforeAll(async () => {
    t = await migratedTarget(kind);
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('before a PIN exists, commands that need one say how to set it, without asking for anything', async () => {
    expect((await ok(t, 'secrets', 'list')).stdout).toBe(
      'No API keys stored; add one with `trader secrets add <name> --exchange <id>`.\n',
    );
    // stdin is closed: a command that asked first would fail with "No answer" instead.
    const noPin = /^trader: No master PIN is set; run `trader secrets init` first\.$/;
    expectCleanError(await runTrader(['secrets', 'add', 'main', '--exchange', 'binance'], t.env), 2, noPin);
    expectCleanError(
      await withInput(t, lines('x', 'x'), 'secrets', 'init'),
      2,
      /^trader: The master PIN must be 6 to 128 characters long; choose another\.$/,
    );
    expectCleanError(
      await withInput(t, lines(pin, `${pin}-typo`), 'secrets', 'init'),
      2,
      /^trader: The two PINs differ; run `trader secrets init` again/,
    );
    expectCleanError(
      await runTrader(['secrets', 'check', 'main'], t.env),
      2,
      /^trader: No API key named 'main'; see `trader secrets list`\.$/,
    );
  }, 180_000);

  it('init, add, list, check and remove with piped answers', async () => {
    const init = await withInput(t, lines(pin, pin), 'secrets', 'init');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/^Master PIN set\./);
    expectCleanError(await withInput(t, lines(pin, pin), 'secrets', 'init'), 2, /^trader: A master PIN is already set/);

    const add = await withInput(
      t,
      lines(pin, apiKey, secret),
      'secrets',
      'add',
      'binance-main',
      '--exchange',
      'binance',
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe("Stored API key 'binance-main' for binance, encrypted under the master PIN.\n");
    expectCleanError(
      await runTrader(['secrets', 'add', 'binance-main', '--exchange', 'binance'], t.env),
      2,
      /^trader: An API key named 'binance-main' already exists/,
    );
    expectCleanError(
      await runTrader(['secrets', 'add', 'Main Key', '--exchange', 'binance'], t.env),
      2,
      /^trader: 'Main Key' is not an API key name/,
    );
    expectCleanError(
      await runTrader(['secrets', 'add', 'other', '--exchange', 'Bin ance'], t.env),
      2,
      /^trader: 'Bin ance' is not an exchange id/,
    );
    expectCleanError(
      await withInput(t, lines(pin, apiKey), 'secrets', 'add', 'other', '--exchange', 'kraken'),
      2,
      /^trader: No answer for "API secret" on stdin/,
    );

    expect((await ok(t, 'secrets', 'list')).stdout).toMatch(
      /^name +exchange +added\nbinance-main +binance +\d{4}-\d{2}-\d{2}T\S+\n$/,
    );
    const listed = JSON.parse((await ok(t, 'secrets', 'list', '--json')).stdout) as {
      ok: boolean;
      keys: Record<string, unknown>[];
    };
    expect(listed).toEqual({
      ok: true,
      keys: [{ name: 'binance-main', exchange: 'binance', created_at: expect.any(String) }],
    });

    const check = await withInput(t, lines(pin), 'secrets', 'check', 'binance-main');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toBe("API key 'binance-main' (binance) decrypts with the master PIN.\n");

    // Removing needs a confirmation: a script must say --yes.
    expectCleanError(
      await withInput(t, lines(pin), 'secrets', 'remove', 'binance-main'),
      2,
      /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
    );
    const removed = await withInput(t, lines(pin), 'secrets', 'remove', 'binance-main', '--yes', '--json');
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      ok: true,
      removed: { name: 'binance-main', exchange: 'binance' },
    });
    expect((await ok(t, 'secrets', 'list', '--json')).stdout).toContain('"keys": []');
    expectCleanError(
      await withInput(t, lines(pin), 'secrets', 'remove', 'binance-main', '--yes'),
      2,
      /^trader: No API key named 'binance-main'/,
    );

    for (const r of [init, add, check, removed]) {
      for (const s of [pin, apiKey, secret]) expect(r.stdout + r.stderr).not.toContain(s);
    }
  }, 300_000);

  it('a wrong PIN is one line and exit 2; the third in a row locks PIN entry (exit 4), even for the right PIN', async () => {
    await withInput(t, lines(pin, apiKey, secret), 'secrets', 'add', 'kept', '--exchange', 'kraken');
    expectCleanError(await withInput(t, lines('wrong-pin-1'), 'secrets', 'check', 'kept'), 2, /^trader: Wrong PIN\.$/);
    const json = await withInput(t, lines('wrong-pin-2'), 'secrets', 'check', 'kept', '--json');
    expect(json.code).toBe(2);
    expect(expectJsonError(json, 'BAD_INPUT').error.message).toBe('Wrong PIN.');
    expectCleanError(
      await withInput(t, lines('wrong-pin-3'), 'secrets', 'remove', 'kept', '--yes'),
      2,
      /^trader: Wrong PIN; too many in a row, so try again after \S+Z\.$/,
    );
    expectCleanError(
      await withInput(t, lines(pin), 'secrets', 'check', 'kept'),
      4,
      /^trader: Too many wrong PINs; try again after \S+Z\.$/,
    );
    expect(JSON.parse((await ok(t, 'secrets', 'list', '--json')).stdout).keys).toHaveLength(1);
  }, 180_000);
});
