// `npm run demo:live`: a LIVE session, Semi-Auto then Full-Auto, against the Binance spot
// simulator started here on 127.0.0.1, through the real `trader` bin on the embedded
// database in a temporary TRADER_HOME, with a throwaway PIN and throwaway keys that only
// this simulator accepts. Prints one JSON summary on stdout and the same in words on
// stderr; exit 0 only when no order was duplicated, every reconciliation difference was
// explained, every open entry has its stop on the exchange and the exchange's balances
// equal the database's, fees included; else exit 1 with one sentence. `--keep` keeps the
// home for a look around afterwards (`TRADER_HOME=<it> TRADER_SYSTEM_MODE=LIVE trader status`).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBinanceSimulator } from '../simulator/binance-simulator.ts';
import { describeSummary } from './demo-live/describe.ts';
import { liveSession } from './demo-live/session.ts';
import { sampleDecisionClose, shiftedSample } from './demo-live/shifted-sample.ts';
import { summarize, verdict } from './demo-live/summary.ts';
import { DemoStepFailed, traderCli } from './demo-live/trader-cli.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);
const secrets = {
  pin: `demo-${randomBytes(6).toString('hex')}`,
  apiKey: `demo-key-${randomBytes(12).toString('hex')}`,
  secret: `demo-secret-${randomBytes(16).toString('hex')}`,
};
const started = Date.now();
const samples = { btc: shiftedSample('BTC', started), eth: shiftedSample('ETH', started) };
/** Binance's BTCUSDT and ETHUSDT filters. */
const filters = {
  'BTC/USDT': { tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minNotional: 5 },
  'ETH/USDT': { tickSize: 0.01, stepSize: 0.0001, minQty: 0.0001, minNotional: 5 },
};
const funding = { USDT: 50_000 };

/** The database, the modules and the exchange are the demo's own; nothing leaks in from the caller's environment. */
function demoEnv(home: string, exchangeUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TRADER_LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'TRADER_DEBUG', 'TRADER_MODULES_ROOT', 'TRADER_LOG_DIR', 'TRADER_LIVE_KEY_FILE'])
    delete env[k];
  return { ...env, TRADER_HOME: home, TRADER_SYSTEM_MODE: 'LIVE', TRADER_EXCHANGE_URL_BINANCE: exchangeUrl };
}

async function main(): Promise<number> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-demo-live-'));
  const sim = await startBinanceSimulator({
    markets: Object.values(samples).map((s) => ({
      symbol: s.symbol,
      candles: new Map([['1h', s.history]]),
      price: s.lastClose,
      ...filters[s.symbol as keyof typeof filters],
    })),
    balances: funding,
    apiKey: secrets.apiKey,
    secret: secrets.secret,
  });
  const decidedAt = new Date(samples.btc.history.at(-1)!.ts + 3_600_000).toISOString();
  say(
    `The repository's BTC and ETH 1h sample, shifted so that its bar closing ${new Date(sampleDecisionClose).toISOString()} closed at ${decidedAt}: the default pipeline buys both there. The exchange starts at that close and holds ${funding.USDT} USDT.`,
  );
  try {
    const { records, facts } = await liveSession({
      cli: traderCli(demoEnv(home, sim.url), say),
      sim,
      say,
      home,
      samples,
      secrets,
      caps: ['--max-order-notional', '20000', '--max-daily-notional', '100000'],
      stepSizes: Object.fromEntries(Object.entries(filters).map(([s, f]) => [s, f.stepSize])),
    });
    const summary = summarize(records.exchange, records.database);
    const doc = {
      ...summary,
      session: { sample_bar_closing: new Date(sampleDecisionClose).toISOString(), decided_at: decidedAt, ...facts },
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    for (const line of describeSummary(summary, facts)) say(line);
    const v = verdict(summary);
    say(v.ok ? 'demo:live passed.' : v.sentence);
    return v.ok ? 0 : 1;
  } catch (e) {
    if (!(e instanceof DemoStepFailed)) throw e;
    say(`demo:live stopped: ${e.message}`);
    return 1;
  } finally {
    await sim.close();
    if (process.argv.includes('--keep')) say(`The demo's TRADER_HOME is kept at ${home}.`);
    else fs.rmSync(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
