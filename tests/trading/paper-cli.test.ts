import { afterEach, describe, expect, it } from 'vitest';
import {
  adapterCliBackend,
  expectCleanError,
  expectJsonError,
  migratedTarget,
  ok,
  runTrader,
  type Target,
} from '../helpers/cli.ts';

/** `trader paper init`, `trader positions` and `trader trades` through the real bin, on both backends. */

describe.each(adapterCliBackend)('paper account commands on %s', (kind) => {
  let t: Target;
  afterEach(async () => t?.dispose());

  it('initialises the TEST paper account and shows an empty book', async () => {
    t = await migratedTarget(kind);
    const init = JSON.parse((await ok(t, 'paper', 'init', '--balance', '2500', '--yes', '--json')).stdout);
    expect(init).toEqual({ ok: true, mode: 'TEST', currency: 'USDT', balance: 2500 });

    const book = JSON.parse((await ok(t, 'positions', '--all', '--json')).stdout);
    expect(book).toMatchObject({
      ok: true,
      mode: 'TEST',
      currency: 'USDT',
      free_balance: 2500,
      equity: 2500,
      positions: [],
      closed: [],
      open_risk_by_category: {},
    });
    expect((await ok(t, 'positions')).stdout).toMatch(
      /^TEST book at .*: equity 2500\.00 USDT, free 2500\.00\nNo open positions\.\n$/,
    );
    expect(JSON.parse((await ok(t, 'trades', '--symbol', 'BTC/USDT', '--json')).stdout)).toEqual({
      ok: true,
      mode: 'TEST',
      trades: [],
    });
    expect((await ok(t, 'trades')).stdout).toBe('No trades yet.\n');
  });

  it('refuses without confirmation, a bad balance, and LIVE mode', async () => {
    t = await migratedTarget(kind);
    expectCleanError(
      await runTrader(['paper', 'init', '--balance', '100'], t.env),
      2,
      /needs confirmation; run it in a terminal or add --yes/,
    );
    expectCleanError(
      await runTrader(['paper', 'init', '--balance', 'lots', '--yes'], t.env),
      2,
      /--balance must be a positive amount/,
    );
    expectJsonError(
      await runTrader(['paper', 'init', '--balance', '100', '--yes', '--json'], {
        ...t.env,
        TRADER_SYSTEM_MODE: 'LIVE',
      }),
      'CONFIG_INVALID',
    );
    expectCleanError(await runTrader(['trades', '--limit', '0'], t.env), 2, /--limit must be a whole number/);
    expect(JSON.parse((await ok(t, 'positions', '--json')).stdout)).toMatchObject({ free_balance: 10_000 });
  });
});
