import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  adapterCliBackend,
  expectWarnedError,
  migratedTarget,
  ok,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { liveTestKeys, type LiveExchange, startLiveExchange } from '../helpers/live-exchange.ts';

/**
 * `trader live init` through the real bin (the adapter only: answers piped on stdin, exit
 * codes, one sentence); the use case itself is tested in process (tests/trading/live-init.test.ts).
 */

const pin = 'cli-live-pin-161803';
const phrase = 'I ACCEPT THE RISK OF LIVE TRADING';
const caps = ['--max-order-notional', '100', '--max-daily-notional', '500'];
const warning = /!!! LIVE TRADING ON BINANCE !!![\s\S]*real money[\s\S]*first order of every pipeline waits/;

describe.each(adapterCliBackend)('trader live init (%s)', (kind: CliBackend) => {
  let t: Target;
  let exchange: LiveExchange;
  const init = (answers: string[], ...extra: string[]) =>
    runTrader(
      ['live', 'init', ...caps, ...extra],
      { ...t.env, TRADER_EXCHANGE_URL_BINANCE: exchange.url },
      undefined,
      `${answers.join('\n')}\n`,
    );
  const stored = async () =>
    JSON.parse((await ok(t, 'secrets', 'list', '--json')).stdout).keys.map((k: { name: string }) => k.name);

  beforeAll(async () => {
    exchange = await startLiveExchange();
    t = await migratedTarget(kind);
    expect((await runTrader(['secrets', 'init'], t.env, undefined, `${pin}\n${pin}\n`)).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    await exchange?.close();
  });

  it('explains itself with an example and the order of the piped answers', async () => {
    const r = await ok(t, 'live', 'init', '--help');
    expect(r.stdout).toMatch(/Example:\n {2}\$ trader live init --max-order-notional 100 --max-daily-notional 500/);
    expect(r.stdout).toMatch(
      /Type I ACCEPT THE RISK OF LIVE TRADING: \n {2}Master PIN: \n {2}API key: \n {2}API secret: /,
    );
  }, 60_000);

  it('a wrong phrase, a wrong PIN or a refused key: exit 2, one sentence after the warning, nothing stored', async () => {
    expectWarnedError(
      await init(['i accept', pin, liveTestKeys.apiKey, liveTestKeys.secret]),
      2,
      warning,
      /^trader: The phrase did not match/,
    );
    expectWarnedError(
      await init([phrase, 'wrong-pin', liveTestKeys.apiKey, liveTestKeys.secret]),
      2,
      warning,
      /^trader: Wrong PIN\.$/,
    );
    const bad = await init([phrase, pin, 'not-my-key', liveTestKeys.secret]);
    expectWarnedError(
      bad,
      2,
      warning,
      /^trader: binance refused the API key or its signature; .*Nothing was stored\.$/,
    );
    expect(bad.stderr).not.toContain('not-my-key');
    expect(await stored()).toEqual([]);
    const status = JSON.parse(
      (await runTrader(['status', '--json'], { ...t.env, TRADER_SYSTEM_MODE: 'LIVE' })).stdout,
    ) as { live: { initialised: boolean } };
    expect(status.live.initialised).toBe(false);
  }, 120_000);

  it('succeeds once (exit 0, the key stored encrypted), then refuses a second init without --replace', async () => {
    const r = await init([phrase, pin, liveTestKeys.apiKey, liveTestKeys.secret], '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      replaced: false,
      account: { exchange: 'binance', key_name: 'live-binance', max_order_notional: 100, max_daily_notional: 500 },
      assets: ['BTC', 'USDT'],
    });
    expect(await stored()).toEqual(['live-binance']);
    const again = await init([phrase, pin, liveTestKeys.apiKey, liveTestKeys.secret]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /^trader: A LIVE account on binance exists since .*; run `trader live init --replace`/,
    );
    const status = await runTrader(['status'], { ...t.env, TRADER_SYSTEM_MODE: 'LIVE' });
    expect(status.stdout).toMatch(/^live caps {10}100 per order; 0\.00 of 500 used today \(UTC\)$/m);
    expect(status.stdout).toMatch(/^live key file {6}missing at .*live\.key; never unlocked$/m);
  }, 120_000);
});
