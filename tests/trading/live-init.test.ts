import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { initLiveAccount, liveRiskPhrase, type LiveInitInput } from '../../trading/live-account/live-init.ts';
import { loadLiveStatus } from '../../trading/live-account/live-status.ts';
import {
  createKeyFile,
  forgetLiveKeys,
  heldLiveKeys,
  unlockForService,
  unlockWithKeyFile,
  unlockWithPin,
} from '../../trading/live-account/unlock.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { loadApiKey } from '../../trading/secrets/key-vault.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { liveInitInput, liveTestKeys, type LiveExchange, startLiveExchange } from '../helpers/live-exchange.ts';

/** `trader live init` and the LIVE key unlock, in process, against the Binance stand-in through the real ccxt. */

const pin = 'live-pin-314159';
let exchange: LiveExchange;
beforeAll(async () => {
  exchange = await startLiveExchange();
});
afterAll(async () => exchange?.close());

interface Answers {
  phrase?: string;
  pin?: string;
  apiKey?: string;
  secret?: string;
}

const answers = (o: Answers = {}) => {
  const asked: string[] = [];
  return {
    asked,
    ask: {
      phrase: async (warning: string) => {
        asked.push(`phrase after: ${warning.split('\n')[0]}`);
        return o.phrase ?? liveRiskPhrase;
      },
      pin: async () => {
        asked.push('pin');
        return o.pin ?? pin;
      },
      secret: async (label: string) => {
        asked.push(label);
        return label === 'API key' ? (o.apiKey ?? liveTestKeys.apiKey) : (o.secret ?? liveTestKeys.secret);
      },
    },
  };
};

const rejection = async (p: Promise<unknown>): Promise<TraderError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof TraderError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
};

describe.each(backends)('trader live init (%s)', (kind) => {
  let db: TestDb;
  let home: string;
  const input = (o: Partial<LiveInitInput> = {}) => liveInitInput(exchange, o);
  const stored = async () => ({
    accounts: Number((await db.query<{ n: number }>('select count(*)::int as n from trading_live.account'))[0]!.n),
    keys: (await db.query<{ name: string }>('select name from api_keys order by name')).map((r) => r.name),
    wallets: (
      await db.query<{ asset: string; balance: string }>(
        'select asset, balance::text from trading_live.wallets order by asset',
      )
    ).map((r) => `${r.asset} ${Number(r.balance)}`),
  });
  const audits = async (type: string) =>
    db.query<{ status: string; details: Record<string, unknown> }>(
      'select status, details from audit_trail where action_type = $1 order by seq',
      [type],
    );

  beforeEach(async () => {
    db = await freshDb(kind);
    await initPin(db, pin);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-live-'));
    forgetLiveKeys();
  });
  afterEach(async () => {
    await db.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('asks phrase, PIN, key and secret; checks the key read-only; stores key, account, balances and audit in one go', async () => {
    const { ask, asked } = answers();
    const before = exchange.requests.length;
    const r = await initLiveAccount(db, input(), ask);
    expect(asked).toEqual(['phrase after: !!! LIVE TRADING ON BINANCE !!!', 'pin', 'API key', 'API secret']);
    expect(r).toMatchObject({
      replaced: false,
      account: {
        exchange: 'binance',
        key_name: 'live-binance',
        sandbox: false,
        max_order_notional: 100,
        max_daily_notional: 500,
      },
    });
    expect(await stored()).toEqual({ accounts: 1, keys: ['live-binance'], wallets: ['BTC 0.01', 'USDT 2500'] });
    // Only the signed balance query reached a private endpoint: nothing that trades.
    const signed = exchange.requests
      .slice(before)
      .filter((q) => 'signature' in q.query)
      .map((q) => `${q.method} ${q.path} ${q.status}`);
    expect(signed.at(-1)).toBe('GET /api/v3/account 200');
    expect(new Set(signed)).toEqual(new Set(['GET /api/v3/account 200']));
    expect(await loadApiKey(db, pin, 'live-binance')).toEqual({ exchange: 'binance', ...liveTestKeys });
    const [done] = await audits('LIVE_ACCOUNT_INITIALISED');
    expect(done).toMatchObject({
      status: 'SUCCESS',
      details: {
        exchange: 'binance',
        key_name: 'live-binance',
        max_order_notional: 100,
        max_daily_notional: 500,
        replaced: false,
      },
    });
  });

  it.each([
    [
      'a wrong phrase',
      { phrase: 'i accept' },
      'BAD_INPUT',
      /^The phrase did not match; type I ACCEPT THE RISK OF LIVE TRADING exactly/,
    ],
    ['a wrong PIN', { pin: 'not-the-pin' }, 'BAD_INPUT', /^Wrong PIN\.$/],
    [
      'an unknown API key',
      { apiKey: 'someone-elses-key' },
      'BAD_INPUT',
      /^binance refused the API key or its signature;.* Nothing was stored\.$/,
    ],
    [
      'a wrong secret (bad signature)',
      { secret: 'wrong-secret' },
      'BAD_INPUT',
      /^binance refused the API key or its signature;/,
    ],
    ['an empty secret', { secret: '  ' }, 'BAD_INPUT', /^The API key and API secret must not be empty/],
  ] as [string, Answers, string, RegExp][])(
    '%s is one sentence, and nothing is stored',
    async (_what, given, code, message) => {
      const e = await rejection(initLiveAccount(db, input(), answers(given).ask));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain(given.apiKey ?? liveTestKeys.apiKey);
      expect(await stored()).toEqual({ accounts: 0, keys: [], wallets: [] });
    },
  );

  it('bad flags are refused before any question', async () => {
    for (const [o, message] of [
      [{ max_order_notional: 600 }, /^--max-order-notional \(600\) must not exceed --max-daily-notional \(500\)\.$/],
      [{ max_daily_notional: 0 }, /^--max-daily-notional must be a positive amount/],
      [{ exchange: 'Binance!' }, /is not an exchange id/],
      [{ exchange: 'nosuchexchange' }, /^Unknown exchange 'nosuchexchange'/],
    ] as const) {
      const { ask, asked } = answers();
      expect((await rejection(initLiveAccount(db, input(o), ask))).message).toMatch(message);
      expect(asked).toEqual([]);
    }
    expect(await stored()).toEqual({ accounts: 0, keys: [], wallets: [] });
  });

  it('a second init is refused; --replace swaps keys and caps and asks every pipeline for a first approval again', async () => {
    await initLiveAccount(db, input(), answers().ask);
    const { ask, asked } = answers();
    const again = await rejection(initLiveAccount(db, input({ max_order_notional: 50 }), ask));
    expect(again.message).toMatch(/^A LIVE account on binance exists since .*; run `trader live init --replace`/);
    expect(asked).toEqual([]);
    await db.query(
      `insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of)
       values ('00000000-0000-4000-8000-000000000001', 'default', 'succeeded', 'binance', '1h', '{}', now())`,
    );
    await db.query(
      `insert into trading_live.proposals (expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of)
       values (now(), 'binance', 'BTC/USDT', 'buy', 1, 2, 1, 1, 1, 2, 0, '{}', now())`,
    );
    await db.query(
      `insert into trading_live.first_order_approvals (pipeline_id, proposal_id) select 'default', min(proposal_id) from trading_live.proposals`,
    );
    const r = await initLiveAccount(db, input({ max_order_notional: 50, replace: true, sandbox: true }), answers().ask);
    expect(r.replaced).toBe(true);
    expect(r.account).toMatchObject({ max_order_notional: 50, sandbox: true });
    expect((await stored()).keys).toEqual(['live-binance']);
    expect(await db.query('select * from trading_live.first_order_approvals')).toEqual([]);
  });

  it('the TEST role cannot read the LIVE account (the database refuses)', async () => {
    await initLiveAccount(db, input(), answers().ask);
    await expect(
      tradingTx(db, tradingScope('TEST'), (tx) => tx.query('select * from trading_live.account')),
    ).rejects.toThrow(/permission denied/);
    await expect(
      tradingTx(db, tradingScope('TEST'), (tx) => tx.query('select * from trading_live.first_order_approvals')),
    ).rejects.toThrow(/permission denied/);
  });

  describe('unlocking the LIVE key', () => {
    const env = () => ({ ...process.env, TRADER_HOME: home, TRADER_LIVE_KEY_FILE: '' });
    const keyFile = () => path.join(home, 'live.key');

    it('without an account there is nothing to unlock; serve in TEST or without an account unlocks nothing', async () => {
      expect((await rejection(unlockWithKeyFile(db, env()))).message).toBe(
        'There is no LIVE account yet; run `trader live init` first.',
      );
      expect(await unlockForService(db, 'LIVE', env())).toBeUndefined();
      await initLiveAccount(db, input(), answers().ask);
      expect(await unlockForService(db, 'TEST', env())).toBeUndefined();
      expect(heldLiveKeys()).toBeUndefined();
    });

    it('the key file (0600, the owner) opens the key without the PIN; every unlock is audited', async () => {
      await initLiveAccount(db, input(), answers().ask);
      expect((await rejection(unlockForService(db, 'LIVE', env()))).message).toMatch(
        /^There is no key file at .*live\.key; write one with `trader live key-file`/,
      );
      const { file } = await createKeyFile(db, answers().ask, env());
      expect(file).toBe(keyFile());
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, 'utf8')).not.toContain(pin);
      const keys = await unlockForService(db, 'LIVE', env());
      expect(keys).toMatchObject({ via: 'key_file', credentials: { exchange: 'binance', ...liveTestKeys } });
      expect(heldLiveKeys()).toBe(keys);

      fs.chmodSync(file, 0o640);
      forgetLiveKeys();
      expect((await rejection(unlockWithKeyFile(db, env()))).message).toBe(
        `The key file is refused: ${file} has permissions 0640, not 0600; run \`chmod 600 ${file}\`.`,
      );
      expect(heldLiveKeys()).toBeUndefined();
      fs.chmodSync(file, 0o600);
      fs.writeFileSync(file, '{"format":"trader-live-key:v1","key_name":"live-binance","derived_key":"x"}');
      expect((await rejection(unlockWithKeyFile(db, env()))).message).toMatch(
        /is not one `trader live key-file` wrote/,
      );

      expect((await unlockWithPin(db, answers().ask)).via).toBe('pin');
      expect(
        (await audits('LIVE_KEYS_UNLOCKED')).map((a) =>
          `${a.status} ${a.details.via} ${a.details.reason ?? ''}`.trim(),
        ),
      ).toEqual([
        'FAILURE key_file missing',
        'SUCCESS key_file',
        'FAILURE key_file permissions',
        'FAILURE key_file malformed',
        'SUCCESS pin',
      ]);
      const status = await loadLiveStatus(db, { now: new Date(), env: env() });
      expect(status).toMatchObject({
        initialised: true,
        max_order_notional: 100,
        used_today: 0,
        key_file: { state: 'malformed' },
        last_unlock: { via: 'pin' },
      });
    });

    it('a key file from before --replace no longer opens the new key', async () => {
      await initLiveAccount(db, input(), answers().ask);
      await createKeyFile(db, answers().ask, env());
      await initLiveAccount(db, input({ replace: true }), answers().ask);
      expect((await rejection(unlockWithKeyFile(db, env()))).message).toMatch(
        /^API key 'live-binance' does not decrypt with the key file/,
      );
    });
  });
});
