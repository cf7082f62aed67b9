// `npm run test:n8n`: the workflows in n8n_workflows/ in a real n8n, against a real trader.
// Installs n8n 2.8.x from npm into a temporary folder (or reuses N8N_INSTALL_DIR), imports
// the credentials and every workflow headlessly, executes them and checks that the runs
// happened, with n8n's execution id as their trigger reference, and that their run
// documents came back. Slow (a first install takes minutes and ~2.3 GB), so it is not
// part of `npm test`. Every address is 127.0.0.1.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot, sampleDataDir } from '../core/paths.ts';
import { RunSummary } from '../orchestrator/run/run-summary.ts';
import { installN8n } from './n8n/install-n8n.ts';
import { type Execution, N8n, nodeItems } from './n8n/n8n-cli.ts';
import { freePort, runCommand, startBackground, startSink, waitForHttp } from './n8n/processes.ts';
import { withSettings } from './n8n/workflow-file.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-n8n-'));
const installDir = process.env.N8N_INSTALL_DIR || path.join(tmp, 'n8n');
const asOf = '2024-03-05T02:00:00Z';
const traderEnv: NodeJS.ProcessEnv = { ...process.env, TRADER_HOME: path.join(tmp, 'trader-home'), TRADER_LOG_LEVEL: 'warn' };
delete traderEnv.DATABASE_URL; // the embedded database, as a new user has it

const timings: Array<[string, number]> = [];
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  console.log(`\n▶ ${name}`);
  const started = performance.now();
  const result = await fn();
  const ms = Math.round(performance.now() - started);
  timings.push([name, ms]);
  console.log(`  ✓ ${(ms / 1000).toFixed(1)} s`);
  return result;
}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

async function trader(...args: string[]): Promise<string> {
  const done = await runCommand(process.execPath, [path.join(packageRoot, 'bin', 'trader.js'), ...args], { env: traderEnv, timeoutMs: 5 * 60_000 });
  if (done.code !== 0) throw new Error(`trader ${args.join(' ')} exited with ${done.code}: ${done.stderr.trim().slice(-1000)}`);
  return done.stdout;
}

/** The "Run document" node's item: trader's run document plus the n8n execution id the workflow adds. */
function runDocument(run: Execution, workflow: string): { summary: RunSummary; executionId: string } {
  check(run.status === 'success', `${workflow}: the execution ended '${run.status}': ${JSON.stringify(run.data.resultData.error ?? null).slice(0, 1000)}`);
  const [item] = nodeItems(run, 'Run document') ?? [];
  const { n8n_execution_id, ...doc } = item as Record<string, unknown>;
  check(typeof n8n_execution_id === 'string' && n8n_execution_id.length > 0, `${workflow}: the run document carries no n8n execution id`);
  const parsed = RunSummary.strict().safeParse(doc);
  check(parsed.success, `${workflow}: what came back is not a run document: ${parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  check(parsed.data.trigger_ref === `n8n:${n8n_execution_id}`, `${workflow}: the run's trigger_ref is ${parsed.data.trigger_ref}, not n8n:${n8n_execution_id}`);
  return { summary: parsed.data, executionId: n8n_execution_id };
}

async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // n8n answers some refusals (403) in plain text
  }
  return { status: res.status, body: body as Record<string, any> };
}

async function main(): Promise<void> {
  const install = await step(`install n8n into ${installDir}`, () => installN8n(installDir));
  console.log(`  n8n ${install.version}${install.reused ? ' (reused)' : ''}`);

  const token = await step('prepare trader: migrate, seed, sample candles, a serve token', async () => {
    await trader('db', 'migrate');
    await trader('db', 'seed');
    for (const base of ['BTC', 'ETH']) {
      const file = `binance_${base}-USDT_1h_2024.csv`;
      // The sample's candles up to the decision time only: an approval is priced at the
      // newest cached close, so with these it is priced as the run decided and can fill.
      const [header, ...rows] = fs.readFileSync(path.join(sampleDataDir, file), 'utf8').trim().split('\n');
      fs.writeFileSync(path.join(tmp, file), [header, ...rows.filter((r) => Number(r.split(',')[0]) < Date.parse(asOf))].join('\n'));
      await trader('data', 'import', path.join(tmp, file), '--exchange', 'binance', '--symbol', `${base}/USDT`, '--timeframe', '1h');
    }
    await trader('macro', 'import', path.join(sampleDataDir, 'macro', 'coingecko_dominance_daily_2023_2024.csv'));
    return (JSON.parse(await trader('serve', 'token', 'create', '--name', 'n8n', '--json')) as { token: string }).token;
  });

  const sink = await startSink();
  const servePort = await freePort();
  const traderUrl = `http://127.0.0.1:${servePort}`;
  const approvalKey = randomBytes(24).toString('hex');
  const n8n = new N8n(install.bin, path.join(tmp, 'n8n-home'), traderEnv);
  const wf = {
    http: withSettings(packageRoot, 'trader-run-http.json', tmp, { trader_url: traderUrl, as_of: asOf, offline: true, notify_url: sink.url }),
    cli: withSettings(packageRoot, 'trader-run-cli.json', tmp, { trader_dir: packageRoot, as_of: asOf, offline: true, notify_url: sink.url }),
    review: withSettings(packageRoot, 'trader-proposal-review.json', tmp, { trader_url: traderUrl }),
  };

  await step('n8n import:credentials and import:workflow (3 workflows)', async () => {
    const creds = path.join(tmp, 'credentials.json');
    const credentials = [
      { id: 'traderServeToken', name: 'trader serve token', type: 'httpHeaderAuth', data: { name: 'Authorization', value: `Bearer ${token}` } },
      { id: 'traderApprovalKey', name: 'trader approval webhook key', type: 'httpHeaderAuth', data: { name: 'X-Approval-Key', value: approvalKey } },
    ];
    fs.writeFileSync(creds, JSON.stringify(credentials), { mode: 0o600 });
    await n8n.cli(['import:credentials', '--input', creds]);
    fs.rmSync(creds);
    for (const w of Object.values(wf)) await n8n.cli(['import:workflow', '--input', w.path]);
  });

  const cliRun = await step('(b) Execute Command workflow: trader run --json in Observe mode (NODES_EXCLUDE=[])', async () => {
    const { run } = await n8n.execute(wf.cli.id, { NODES_EXCLUDE: '[]' });
    const { summary, executionId } = runDocument(run, 'trader-run-cli');
    check(summary.ok && summary.trigger === 'n8n' && summary.mode.operational_mode === 'observe', `trader-run-cli: expected a succeeded n8n-triggered Observe run, got ${summary.status}/${summary.trigger}/${summary.mode.operational_mode}`);
    check(summary.symbols.map((s) => s.outcome).join() === 'trade_intent,trade_intent', `trader-run-cli: outcomes ${summary.symbols.map((s) => s.outcome)}`);
    check(nodeItems(run, 'Nothing to report')?.length === 1 && nodeItems(run, 'Notify (chat webhook)') === null, 'trader-run-cli: a run with nothing to report went to the notification');
    console.log(`  run ${summary.run_id}: trigger n8n, trigger_ref n8n:${executionId}, ${summary.symbols.length} symbols decided, nothing to report`);
    return summary;
  });

  await trader('mode', 'set', 'semi_auto', '--yes');
  const serve = startBackground(process.execPath, [path.join(packageRoot, 'bin', 'trader.js'), 'serve', '--port', String(servePort)], traderEnv);
  const auth = { authorization: `Bearer ${token}` };
  try {
    await step('start trader serve', () => waitForHttp(`${traderUrl}/health`, 60_000, serve));

    const httpRun = await step('(a) HTTP workflow: POST /runs?wait=true in Semi-Auto, proposals notified', async () => {
      const { run } = await n8n.execute(wf.http.id);
      const { summary, executionId } = runDocument(run, 'trader-run-http');
      check(summary.ok && summary.trigger === 'http' && summary.proposals.length === 2, `trader-run-http: expected a succeeded HTTP run with 2 proposals, got ${summary.status}/${summary.trigger}/${summary.proposals.length}`);
      check(sink.received.length === 1, `trader-run-http: the notification sink got ${sink.received.length} posts, not 1`);
      const note = sink.received[0] as { text: string; content: string; trader: { run_id: string } };
      for (const p of summary.proposals) check(note.text.includes(`#${p.proposal_id} ${p.side}`), `trader-run-http: the notification does not name proposal #${p.proposal_id}: ${note.text}`);
      check(note.content === note.text && note.trader.run_id === summary.run_id, 'trader-run-http: the notification lacks content or the run document');
      console.log(`  run ${summary.run_id}: trigger http, trigger_ref n8n:${executionId}; notified: "${note.text}"`);
      return summary;
    });

    await step('both runs traced back from their n8n execution ids (GET /runs?trigger_ref=, GET /runs/:id)', async () => {
      for (const s of [cliRun, httpRun]) {
        const found = await call(`${traderUrl}/runs?trigger_ref=${encodeURIComponent(s.trigger_ref!)}`, { headers: auth });
        const ids = (found.body.runs as Array<{ run_id: string }> | undefined)?.map((r) => r.run_id);
        check(found.status === 200 && ids?.length === 1 && ids[0] === s.run_id, `GET /runs?trigger_ref=${s.trigger_ref}: ${found.status} ${JSON.stringify(ids)}`);
        const r = await call(`${traderUrl}/runs/${s.run_id}`, { headers: auth });
        check(r.status === 200 && r.body.run.trigger === s.trigger && r.body.run.summary.run_id === s.run_id, `GET /runs/${s.run_id}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
    });

    await reviewWebhook(n8n, [wf.review.id, wf.http.id], approvalKey, traderUrl, auth, [httpRun.proposals[0]!.proposal_id, httpRun.proposals[1]!.proposal_id]);
  } finally {
    await serve.stop();
    await sink.close();
  }
  await step('trader audit verify after the server stopped', async () => {
    const out = await trader('audit', 'verify');
    console.log(`  ${out.trim().split('\n').at(-1)}`);
  });
}

/**
 * (c): the approval webhook in a running n8n, in front of trader serve's review endpoints.
 * The HTTP run workflow is published beside it, to see its Schedule Trigger activate.
 */
async function reviewWebhook(n8n: N8n, published: string[], key: string, traderUrl: string, auth: Record<string, string>, [first, second]: [number, number]): Promise<void> {
  for (const id of published) await n8n.cli(['publish:workflow', '--id', id]);
  const port = await freePort();
  const server = await n8n.start(port);
  try {
    const hook = `http://127.0.0.1:${port}/webhook/trader-proposal-review`;
    await step('start n8n with the approval and HTTP run workflows published (webhook and schedule active)', async () => {
      await waitForHttp(`http://127.0.0.1:${port}/healthz/readiness`, 120_000, server);
      // Ready comes before published workflows are activated: until then the webhook is a 404.
      for (let tries = 0; (await call(hook, { body: {} })).status === 404; tries++) {
        check(tries < 120, `the webhook ${hook} was not registered within 60 s of n8n being ready:\n${server.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      for (const id of published) check(new RegExp(`Activated workflow "[^"]+" \\(ID: ${id}\\)`).test(server.output()), `n8n did not activate the published workflow ${id}:\n${server.output().slice(-2000)}`);
    });
    const withKey = { 'x-approval-key': key };
    await step('(c) approval webhook: refusals, a rejection, an approval', async () => {
      const noKey = await call(hook, { body: { proposal_id: second, decision: 'reject' } });
      check(noKey.status === 403, `webhook without its key: ${noKey.status}, not 403`);
      const bad = await call(hook, { headers: withKey, body: { proposal_id: second, decision: 'maybe' } });
      check(bad.status === 400 && bad.body.error?.code === 'BAD_INPUT', `webhook with decision 'maybe': ${bad.status}`);
      const rejected = await call(hook, { headers: withKey, body: { proposal_id: second, decision: 'reject', note: 'not today' } });
      check(rejected.status === 200 && rejected.body.status === 'rejected' && rejected.body.proposal.decision_note === 'not today', `rejecting #${second}: ${rejected.status} ${JSON.stringify(rejected.body).slice(0, 300)}`);
      const again = await call(hook, { headers: withKey, body: { proposal_id: second, decision: 'reject' } });
      check(again.status === 400 && /already rejected/.test(again.body.error?.message), `rejecting #${second} twice: ${again.status} ${JSON.stringify(again.body).slice(0, 300)}`);
      const unknown = await call(hook, { headers: withKey, body: { proposal_id: 999999, decision: 'approve' } });
      check(unknown.status === 404 && unknown.body.error?.code === 'NOT_FOUND', `approving an unknown proposal: ${unknown.status}`);
      const approved = await call(hook, { headers: withKey, body: { proposal_id: first, decision: 'approve' } });
      check(approved.status === 200 && approved.body.status === 'approved' && Number.isInteger(approved.body.position_id), `approving #${first}: ${approved.status} ${JSON.stringify(approved.body).slice(0, 300)}`);
      const listed = await call(`${traderUrl}/proposals?limit=10`, { headers: auth });
      const stored = new Map((listed.body.proposals as Array<{ proposal_id: number; status: string }>).map((p) => [p.proposal_id, p.status]));
      check(stored.get(first) === 'approved' && stored.get(second) === 'rejected', `stored proposals after the webhook calls: ${JSON.stringify([...stored])}`);
      console.log(`  403 without key, 400 bad decision, #${second} rejected, 400 twice, 404 unknown, #${first} approved: paper position ${approved.body.position_id} at ${approved.body.fill_reference}`);
    });
  } finally {
    await server.stop();
  }
}

const started = performance.now();
main().then(
  () => {
    console.log('\ntest:n8n passed. Timings:');
    for (const [name, ms] of timings) console.log(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`);
    console.log(`  ${((performance.now() - started) / 1000).toFixed(1).padStart(7)} s  in all`);
    fs.rmSync(tmp, { recursive: true, force: true });
  },
  (e: Error) => {
    console.error(`\ntest:n8n FAILED: ${e.message}\n(the temporary folder ${tmp} is kept for inspection)`);
    process.exit(1);
  },
);
