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
import { reviewWebhook } from './n8n/approval-flow.ts';
import { call, check, refusalDocument, runDocument, step, timings } from './n8n/checks.ts';
import { installN8n } from './n8n/install-n8n.ts';
import { N8n, nodeItems } from './n8n/n8n-cli.ts';
import { freePort, runCommand, startBackground, startSink, trustCertificate, waitForHttp } from './n8n/processes.ts';
import { withSettings } from './n8n/workflow-file.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-n8n-'));
const installDir = process.env.N8N_INSTALL_DIR || path.join(tmp, 'n8n');
const asOf = '2024-03-05T02:00:00Z';
const traderEnv: NodeJS.ProcessEnv = {
  ...process.env,
  TRADER_HOME: path.join(tmp, 'trader-home'),
  TRADER_LOG_LEVEL: 'warn',
};
delete traderEnv.DATABASE_URL; // the embedded database, as a new user has it

async function trader(...args: string[]): Promise<string> {
  const done = await runCommand(process.execPath, [path.join(packageRoot, 'bin', 'trader.js'), ...args], {
    env: traderEnv,
    timeoutMs: 5 * 60_000,
  });
  if (done.code !== 0)
    throw new Error(`trader ${args.join(' ')} exited with ${done.code}: ${done.stderr.trim().slice(-1000)}`);
  return done.stdout;
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
      fs.writeFileSync(
        path.join(tmp, file),
        [header, ...rows.filter((r) => Number(r.split(',')[0]) < Date.parse(asOf))].join('\n'),
      );
      await trader(
        'data',
        'import',
        path.join(tmp, file),
        '--exchange',
        'binance',
        '--symbol',
        `${base}/USDT`,
        '--timeframe',
        '1h',
      );
    }
    await trader('macro', 'import', path.join(sampleDataDir, 'macro', 'coingecko_dominance_daily_2023_2024.csv'));
    return (JSON.parse(await trader('serve', 'token', 'create', '--name', 'n8n', '--json')) as { token: string }).token;
  });

  // trader serve speaks HTTPS, as it would to a hosted n8n: a certificate for 127.0.0.1
  // that n8n trusts through NODE_EXTRA_CA_CERTS, as it would trust a private CA.
  const tls = { cert: path.join(tmp, 'serve.crt'), key: path.join(tmp, 'serve.key') };
  const made = await runCommand(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      tls.key,
      '-out',
      tls.cert,
    ],
    { env: process.env, timeoutMs: 60_000 },
  );
  check(made.code === 0, `openssl could not make a test certificate: ${made.stderr.trim()}`);
  trustCertificate(fs.readFileSync(tls.cert));
  const sink = await startSink();
  const servePort = await freePort();
  const traderUrl = `https://127.0.0.1:${servePort}`;
  const approvalKey = randomBytes(24).toString('hex');
  const n8n = new N8n(install.bin, path.join(tmp, 'n8n-home'), { ...traderEnv, NODE_EXTRA_CA_CERTS: tls.cert });
  const wf = {
    http: withSettings(packageRoot, 'trader-run-http.json', tmp, {
      trader_url: traderUrl,
      as_of: asOf,
      offline: true,
      notify_url: sink.url,
    }),
    cli: withSettings(packageRoot, 'trader-run-cli.json', tmp, {
      trader_dir: packageRoot,
      as_of: asOf,
      offline: true,
      notify_url: sink.url,
    }),
    review: withSettings(packageRoot, 'trader-proposal-review.json', tmp, { trader_url: traderUrl }),
  };

  await step('n8n import:credentials and import:workflow (3 workflows)', async () => {
    const creds = path.join(tmp, 'credentials.json');
    const credentials = [
      {
        id: 'traderServeToken',
        name: 'trader serve token',
        type: 'httpHeaderAuth',
        data: { name: 'Authorization', value: `Bearer ${token}` },
      },
      {
        id: 'traderApprovalKey',
        name: 'trader approval webhook key',
        type: 'httpHeaderAuth',
        data: { name: 'X-Approval-Key', value: approvalKey },
      },
    ];
    fs.writeFileSync(creds, JSON.stringify(credentials), { mode: 0o600 });
    try {
      await n8n.cli(['import:credentials', '--input', creds]);
    } finally {
      fs.rmSync(creds); // the token in clear: not left behind even when the import fails
    }
    for (const w of Object.values(wf)) await n8n.cli(['import:workflow', '--input', w.path]);
  });

  const cliRun = await step(
    '(b) Execute Command workflow: trader run --json in Observe mode (NODES_EXCLUDE=[])',
    async () => {
      const { run } = await n8n.execute(wf.cli.id, { NODES_EXCLUDE: '[]' });
      const { summary, executionId } = runDocument(run, 'trader-run-cli');
      check(
        summary.ok && summary.trigger === 'n8n' && summary.mode.operational_mode === 'observe',
        `trader-run-cli: expected a succeeded n8n-triggered Observe run, got ${summary.status}/${summary.trigger}/${summary.mode.operational_mode}`,
      );
      check(
        summary.symbols.map((s) => s.outcome).join() === 'trade_intent,trade_intent',
        `trader-run-cli: outcomes ${summary.symbols.map((s) => s.outcome)}`,
      );
      check(
        nodeItems(run, 'Nothing to report')?.length === 1 && nodeItems(run, 'Notify (chat webhook)') === null,
        'trader-run-cli: a run with nothing to report went to the notification',
      );
      console.log(
        `  run ${summary.run_id}: trigger n8n, trigger_ref n8n:${executionId}, ${summary.symbols.length} symbols decided, nothing to report`,
      );
      return summary;
    },
  );

  await trader('mode', 'set', 'semi_auto', '--yes');
  const serve = startBackground(
    process.execPath,
    [
      path.join(packageRoot, 'bin', 'trader.js'),
      'serve',
      '--port',
      String(servePort),
      '--tls-cert',
      tls.cert,
      '--tls-key',
      tls.key,
    ],
    traderEnv,
  );
  const auth = { authorization: `Bearer ${token}` };
  try {
    await step('start trader serve (HTTPS)', () => waitForHttp(`${traderUrl}/health`, 60_000, serve));

    const httpRun = await step('(a) HTTP workflow: POST /runs?wait=true in Semi-Auto, proposals notified', async () => {
      const { run } = await n8n.execute(wf.http.id);
      const { summary, executionId } = runDocument(run, 'trader-run-http');
      check(
        summary.ok && summary.trigger === 'http' && summary.proposals.length === 2,
        `trader-run-http: expected a succeeded HTTP run with 2 proposals, got ${summary.status}/${summary.trigger}/${summary.proposals.length}`,
      );
      check(
        sink.received.length === 1,
        `trader-run-http: the notification sink got ${sink.received.length} posts, not 1`,
      );
      const note = sink.received[0] as { text: string; content: string; trader: { run_id: string } };
      for (const p of summary.proposals)
        check(
          note.text.includes(`#${p.proposal_id} ${p.side}`),
          `trader-run-http: the notification does not name proposal #${p.proposal_id}: ${note.text}`,
        );
      check(
        note.content === note.text && note.trader.run_id === summary.run_id,
        'trader-run-http: the notification lacks content or the run document',
      );
      console.log(`  run ${summary.run_id}: trigger http, trigger_ref n8n:${executionId}; notified: "${note.text}"`);
      return summary;
    });

    await step(
      'both runs traced back from their n8n execution ids (GET /runs?trigger_ref=, GET /runs/:id)',
      async () => {
        for (const s of [cliRun, httpRun]) {
          const found = await call(`${traderUrl}/runs?trigger_ref=${encodeURIComponent(s.trigger_ref!)}`, {
            headers: auth,
          });
          const ids = (found.body.runs as Array<{ run_id: string }> | undefined)?.map((r) => r.run_id);
          check(
            found.status === 200 && ids?.length === 1 && ids[0] === s.run_id,
            `GET /runs?trigger_ref=${s.trigger_ref}: ${found.status} ${JSON.stringify(ids)}`,
          );
          const r = await call(`${traderUrl}/runs/${s.run_id}`, { headers: auth });
          check(
            r.status === 200 && r.body.run.trigger === s.trigger && r.body.run.summary.run_id === s.run_id,
            `GET /runs/${s.run_id}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`,
          );
        }
      },
    );

    await step(
      'refusals reach the notification: the CLI locked out by serve (exit 4), an unknown strategy (422)',
      async () => {
        const locked = refusalDocument(
          (await n8n.execute(wf.cli.id, { NODES_EXCLUDE: '[]' })).run,
          'trader-run-cli',
          'LOCKED',
        );
        const unknown = withSettings(packageRoot, 'trader-run-http.json', tmp, {
          trader_url: traderUrl,
          strategy: 'no_such_strategy',
          notify_url: sink.url,
        });
        await n8n.cli(['import:workflow', '--input', unknown.path]);
        const refused = refusalDocument((await n8n.execute(unknown.id)).run, 'trader-run-http', 'CONFIG_INVALID');
        await n8n.cli(['import:workflow', '--input', wf.http.path]);
        const texts = sink.received.slice(1).map((n) => (n as { text: string }).text);
        check(
          texts.length === 2 &&
            texts[0]!.includes(`LOCKED: ${locked}`) &&
            texts[1]!.includes(`CONFIG_INVALID: ${refused}`),
          `the refusals' notifications: ${JSON.stringify(texts)}`,
        );
        console.log(`  notified: "${texts[0]!.slice(0, 140)}…"; "${texts[1]!.slice(0, 140)}…"`);
      },
    );

    await reviewWebhook(n8n, [wf.review.id, wf.http.id], approvalKey, traderUrl, auth, [
      httpRun.proposals[0]!.proposal_id,
      httpRun.proposals[1]!.proposal_id,
    ]);
  } finally {
    await serve.stop();
    await sink.close();
  }
  await step('trader audit verify after the server stopped', async () => {
    const out = await trader('audit', 'verify');
    console.log(`  ${out.trim().split('\n').at(-1)}`);
  });
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
