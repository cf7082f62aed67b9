// `npm run demo:live`: a LIVE session, Semi-Auto then Full-Auto, against the Binance spot
// simulator started here on 127.0.0.1, through the real `trader` bin on the embedded
// database in a temporary TRADER_HOME, with a throwaway PIN and the simulator's throwaway
// keys. Prints one JSON summary on stdout and the same in words on stderr; exit 0 only when
// there is no duplicate order, no unexplained difference, no open entry without a stop on
// the exchange and the exchange's balances equal the database's. `--keep` keeps the home.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BinanceSimulator, startBinanceSimulator } from '../simulator/binance-simulator.ts';
import { liveRiskPhrase } from '../trading/live-account/live-init.ts';
import { describeSummary } from './demo-live/describe.ts';
import { gatherRecords } from './demo-live/records.ts';
import { shiftedSample, writeCandleCsv } from './demo-live/shifted-sample.ts';
import { summarize, verdict } from './demo-live/summary.ts';
import { DemoStepFailed, traderCli } from './demo-live/trader-cli.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-demo-live-'));
const pin = `demo-${randomBytes(6).toString('hex')}`;
const keys = {
  apiKey: `demo-key-${randomBytes(12).toString('hex')}`,
  secret: `demo-secret-${randomBytes(16).toString('hex')}`,
};
const samples = { btc: shiftedSample('BTC', Date.now()), eth: shiftedSample('ETH', Date.now()) };
/** Binance's BTCUSDT and ETHUSDT filters. */
const filters = {
  'BTC/USDT': { tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minNotional: 5 },
  'ETH/USDT': { tickSize: 0.01, stepSize: 0.0001, minQty: 0.0001, minNotional: 5 },
};
const funding = { USDT: 50_000 };
const caps = ['--max-order-notional', '20000', '--max-daily-notional', '100000'];
/** The run flags of every decision: the simulator's klines end at the decision bar, so an hour that turns during the demo is not stale data. */
const runFlags = ['--max-age-bars', '1'];
const withPin = { input: `${pin}\n`, shown: 'the master PIN' };

interface RunDoc {
  run_id: string;
  symbols: {
    symbol: string;
    outcome: string;
    actions?: { action: string; reasons: string[]; client_order_id?: string }[];
  }[];
  proposals: { proposal_id: number; symbol: string }[];
}

function describeRun(doc: RunDoc): string[] {
  return doc.symbols.map((s) => {
    const acts = (s.actions ?? []).map((a) => `${a.action}${a.reasons.length ? ` (${a.reasons.join('; ')})` : ''}`);
    return `    ${s.symbol}: ${s.outcome}${acts.length ? ` -> ${acts.join(', ')}` : ''}`;
  });
}

async function session(sim: BinanceSimulator) {
  const env: NodeJS.ProcessEnv = { ...process.env, TRADER_LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'TRADER_DEBUG', 'TRADER_MODULES_ROOT', 'TRADER_LOG_DIR', 'TRADER_LIVE_KEY_FILE'])
    delete env[k];
  Object.assign(env, { TRADER_HOME: home, TRADER_SYSTEM_MODE: 'LIVE', TRADER_EXCHANGE_URL_BINANCE: sim.url });
  const cli = traderCli(env, say);
  const run = async (symbols: string) => {
    const doc = await cli.json<RunDoc>(['run', '--symbols', symbols, ...runFlags], withPin);
    for (const line of describeRun(doc)) say(line);
    return doc;
  };

  say(`1. Setup: the embedded database in ${home}, the simulator at ${sim.url} holding ${funding.USDT} USDT.`);
  await cli.run(['db', 'migrate']);
  await cli.run(['db', 'seed']);
  for (const s of Object.values(samples)) {
    const file = path.join(home, `${s.symbol.replace('/', '-')}_1h.csv`);
    writeCandleCsv(file, s.history);
    await cli.run(['data', 'import', file, '--exchange', 'binance', '--symbol', s.symbol, '--timeframe', '1h']);
  }
  await cli.run(['secrets', 'init'], { input: `${pin}\n${pin}\n`, shown: 'a throwaway master PIN, twice' });
  await cli.run(['live', 'init', ...caps], {
    input: `${liveRiskPhrase}\n${pin}\n${keys.apiKey}\n${keys.secret}\n`,
    shown: 'the risk phrase, the PIN, the API key and secret',
  });
  // A first LIVE account starts small: 0.5 % of equity at risk per trade.
  await cli.run(['risk', 'set', 'low', '--yes']);

  say('2. Semi-Auto: the decision becomes a proposal; approving it (PIN) sends the entry, then its stop and target.');
  await cli.run(['mode', 'set', 'semi_auto', '--yes']);
  const proposed = await run('BTC/USDT');
  const proposal = proposed.proposals.find((p) => p.symbol === 'BTC/USDT');
  if (!proposal) throw new DemoStepFailed('the Semi-Auto run made no BTC/USDT proposal; see the run above.');
  await cli.json(['proposals', 'approve', String(proposal.proposal_id), '--yes'], withPin);
  say(`    BTC/USDT on the exchange: ${describeOrders(sim, 'BTC/USDT')}`);

  say("3. Full-Auto: the pipeline's first order was approved, so the next entries go out on their own.");
  await cli.run(['mode', 'set', 'full_auto', '--yes']);
  await run('BTC/USDT,ETH/USDT');
  say(`    ETH/USDT on the exchange: ${describeOrders(sim, 'ETH/USDT')}`);

  say(
    '4. trader is not running: BTC/USDT replays the rest of 2024-03-05 from the sample; ETH/USDT is sold by hand on the website.',
  );
  const replayed = sim.replayCandles('BTC/USDT', samples.btc.after.slice(0, 22));
  say(
    `    BTC/USDT traded ${replayed.length} time(s) while trader was away, now at ${sim.price('BTC/USDT')}: ${describeOrders(sim, 'BTC/USDT')}`,
  );
  const manual = sim.website.marketClose('ETH/USDT');
  say(`    the website sold ${manual?.executedQty ?? 0} ETH at market and cancelled trader's ETH/USDT orders.`);

  say('5. Reconciliation adopts what happened while trader was away.');
  const first = await cli.json<{ adopted: number; unexplained: number }>(['reconcile'], withPin);
  say(`    adopted ${first.adopted} fill(s), ${first.unexplained} unexplained difference(s).`);

  say(
    '6. kill -9 mid-order: the exchange takes the next entry but its answer never comes; trader is killed while it waits.',
  );
  const before = sim.requests.length;
  sim.faults.dropResponse({ path: '/api/v3/order', method: 'POST', times: 1 });
  const inFlight = cli.start(['run', '--symbols', 'ETH/USDT', ...runFlags, '--json'], withPin);
  const taken = await waitFor(() => {
    const post = sim.requests.slice(before).find((r) => r.method === 'POST' && r.path === '/api/v3/order');
    const id = post?.query.newClientOrderId;
    return typeof id === 'string' && sim.orders('ETH/USDT').some((o) => o.clientOrderId === id) ? id : undefined;
  }, 120_000);
  inFlight.child.kill('SIGKILL');
  const killed = await inFlight.done;
  say(
    `    order ${taken} was accepted by the exchange; trader ended by ${killed.signal ?? `exit ${killed.code}`} before recording the answer.`,
  );

  say(
    '7. Restart: the next run looks the order up by its client id, books its fill and protects it; nothing is sent twice.',
  );
  await run('BTC/USDT,ETH/USDT');
  say(`    ETH/USDT on the exchange: ${describeOrders(sim, 'ETH/USDT')}`);

  say('8. A last reconciliation, then the records of both sides.');
  await cli.json(['reconcile'], withPin);
  return gatherRecords(cli, sim, Object.fromEntries(Object.entries(filters).map(([s, f]) => [s, f.stepSize])));
}

function describeOrders(sim: BinanceSimulator, symbol: string): string {
  const orders = sim.orders(symbol).filter((o) => o.origin === 'api');
  return orders.map((o) => `${o.side} ${o.type} ${o.origQty} ${o.status}`).join(', ') || 'no orders';
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new DemoStepFailed(`nothing reached the exchange within ${timeoutMs / 1000} s.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<number> {
  const sim = await startBinanceSimulator({
    markets: Object.values(samples).map((s) => ({
      symbol: s.symbol,
      candles: new Map([['1h', s.history]]),
      price: s.lastClose,
      ...filters[s.symbol as keyof typeof filters],
    })),
    balances: funding,
    ...keys,
  });
  try {
    const records = await session(sim);
    const summary = summarize(records.exchange, records.database);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    for (const line of describeSummary(summary)) say(line);
    const v = verdict(summary);
    if (!v.ok) say(v.sentence);
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
