import path from 'node:path';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { liveRiskPhrase } from '../../trading/live-account/live-init.ts';
import { gatherRecords } from './records.ts';
import { type ShiftedSample, writeCandleCsv } from './shifted-sample.ts';
import { DemoStepFailed, type TraderCli } from './trader-cli.ts';

/**
 * The steps of `npm run demo:live`, each through the real `trader` bin, narrated on stderr.
 * Returns both sides' records for the summary and what happened at each step (read from
 * the exchange's records and the CLI's JSON, never assumed).
 */

export interface SessionInput {
  cli: TraderCli;
  sim: BinanceSimulator;
  say: (line: string) => void;
  home: string;
  samples: { btc: ShiftedSample; eth: ShiftedSample };
  /** answers for the prompts: the throwaway PIN and keys */
  secrets: { pin: string; apiKey: string; secret: string };
  caps: string[];
  stepSizes: Record<string, number>;
}

interface RunDoc {
  symbols: {
    symbol: string;
    outcome: string;
    actions?: { action: string; reasons: string[]; client_order_id?: string }[];
  }[];
  proposals: { proposal_id: number; symbol: string }[];
}

/** The simulator's klines end at the decision bar: an hour that turns during the demo is not stale data. */
const runFlags = ['--max-age-bars', '1'];

const actionsOf = (doc: RunDoc) =>
  doc.symbols.flatMap((s) =>
    (s.actions ?? []).map((a) => ({ symbol: s.symbol, action: a.action, reasons: a.reasons })),
  );

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

export async function liveSession(o: SessionInput) {
  const { cli, sim, say, samples } = o;
  const withPin = { input: `${o.secrets.pin}\n`, shown: 'the master PIN' };
  const run = async (symbols: string) => {
    const doc = await cli.json<RunDoc>(['run', '--symbols', symbols, ...runFlags], withPin);
    for (const a of actionsOf(doc))
      say(`    ${a.symbol}: ${a.action}${a.reasons.length ? ` (${a.reasons.join('; ')})` : ''}`);
    return doc;
  };

  say(`1. Setup: the embedded database in ${o.home}; the simulator at ${sim.url}.`);
  await cli.run(['db', 'migrate']);
  await cli.run(['db', 'seed']);
  for (const s of Object.values(samples)) {
    const file = path.join(o.home, `${s.symbol.replace('/', '-')}_1h.csv`);
    writeCandleCsv(file, s.history);
    await cli.run(['data', 'import', file, '--exchange', 'binance', '--symbol', s.symbol, '--timeframe', '1h']);
  }
  const { pin, apiKey, secret } = o.secrets;
  await cli.run(['secrets', 'init'], { input: `${pin}\n${pin}\n`, shown: 'a throwaway master PIN, twice' });
  await cli.run(['live', 'init', ...o.caps], {
    input: `${liveRiskPhrase}\n${pin}\n${apiKey}\n${secret}\n`,
    shown: "the risk phrase, the PIN, the simulator's API key and secret",
  });
  // A first LIVE account starts small: 0.5 % of equity at risk per trade.
  await cli.run(['risk', 'set', 'low', '--yes']);

  say('2. Semi-Auto: the decision becomes a proposal; approving it (PIN) sends the entry, then its stops and targets.');
  await cli.run(['mode', 'set', 'semi_auto', '--yes']);
  const proposed = await run('BTC/USDT');
  const proposal = proposed.proposals.find((p) => p.symbol === 'BTC/USDT');
  if (!proposal) throw new DemoStepFailed('the Semi-Auto run made no BTC/USDT proposal; see the run above.');
  const approved = await cli.json<{ status: string; position_id?: number }>(
    ['proposals', 'approve', String(proposal.proposal_id), '--yes'],
    withPin,
  );
  say(`    BTC/USDT on the exchange: ${describeOrders(sim, 'BTC/USDT')}`);

  say("3. Full-Auto: the pipeline's first order was approved, so its entries now go out on their own.");
  await cli.run(['mode', 'set', 'full_auto', '--yes']);
  const fullAuto = await run('BTC/USDT,ETH/USDT');
  say(`    ETH/USDT on the exchange: ${describeOrders(sim, 'ETH/USDT')}`);

  say(
    '4. trader is not running: BTC/USDT replays the rest of 2024-03-05 from the sample; ETH/USDT is sold by hand on the website.',
  );
  const typeOf = new Map(sim.orders().map((ord) => [ord.orderId, ord.type]));
  const away = sim.replayCandles('BTC/USDT', samples.btc.after.slice(0, 22)).map((t) => ({
    order_type: typeOf.get(t.orderId) ?? 'unknown',
    side: t.side,
    qty: t.qty,
    price: t.price,
  }));
  say(
    `    while away BTC/USDT filled ${away.map((t) => `${t.order_type} ${t.side} ${t.qty} at ${t.price}`).join(', ') || 'nothing'}; now at ${sim.price('BTC/USDT')}.`,
  );
  const manual = sim.website.marketClose('ETH/USDT');
  say(`    the website cancelled trader's ETH/USDT orders and sold ${manual?.executedQty ?? 0} ETH at market.`);

  say('5. Reconciliation adopts what happened while trader was away.');
  const reconciled = await cli.json<{ adopted: number; unexplained: number }>(['reconcile'], withPin);
  say(`    adopted ${reconciled.adopted} fill(s); ${reconciled.unexplained} unexplained difference(s).`);

  say(
    '6. kill -9 mid-order: the exchange takes the next entry but its answer never comes; trader is killed while waiting.',
  );
  const before = sim.requests.length;
  sim.faults.dropResponse({ path: '/api/v3/order', method: 'POST', times: 1 });
  const inFlight = cli.start(['run', '--symbols', 'ETH/USDT', ...runFlags, '--json'], withPin);
  const killedId = await waitFor(() => {
    const post = sim.requests.slice(before).find((r) => r.method === 'POST' && r.path === '/api/v3/order');
    const id = post?.query.newClientOrderId;
    return id !== undefined && sim.orders('ETH/USDT').some((ord) => ord.clientOrderId === id) ? id : undefined;
  }, 120_000);
  inFlight.child.kill('SIGKILL');
  const killed = await inFlight.done;
  say(
    `    the exchange accepted ${killedId}; trader ended by ${killed.signal ?? `exit ${killed.code}`} before it had the answer.`,
  );

  say('7. Restart: the next run finds that order by its client id, books its fill and protects it.');
  const restart = await run('BTC/USDT,ETH/USDT');
  say(`    ETH/USDT on the exchange: ${describeOrders(sim, 'ETH/USDT')}`);

  say('8. A last reconciliation and the audit trail, then the records of both sides.');
  await cli.json(['reconcile'], withPin);
  const audit = await cli.json<{ ok: boolean; rows_checked: number }>(['audit', 'verify']);
  const records = await gatherRecords(cli, sim, o.stepSizes);
  const facts = {
    semi_auto: {
      proposal_id: proposal.proposal_id,
      approval: approved.status,
      position_id: approved.position_id ?? null,
    },
    full_auto: actionsOf(fullAuto),
    while_away: { btc_fills: away, website_sold_eth: manual?.executedQty ?? 0 },
    reconciled_after_away: { adopted: reconciled.adopted, unexplained: reconciled.unexplained },
    kill: {
      client_order_id: killedId,
      ended_by: killed.signal,
      requests_with_its_id: sim.orderPosts(killedId),
      state_after_restart: records.database.orders.find((r) => r.client_order_id === killedId)?.state ?? null,
    },
    after_restart: actionsOf(restart),
    audit_trail: { intact: audit.ok, rows: audit.rows_checked },
  };
  return { records, facts };
}
