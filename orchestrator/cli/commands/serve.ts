import type { Command } from 'commander';
import { logger } from '../../../core/logger.ts';
import type { Db } from '../../../store/db.ts';
import { assertMigrated } from '../../../store/migrate.ts';
import { openDb } from '../../../store/open.ts';
import { startServer } from '../../serve/server.ts';
import { unlockForService } from '../../../trading/live-account/unlock.ts';
import { liveServiceReconciler, reconcileEvery } from '../../live-reconciliation.ts';
import { systemModeFromEnv } from '../../../trading/scope.ts';
import { readTlsFiles } from '../../serve/tls-files.ts';
import { createToken, listTokens, revokeToken, TokenName, type TokenListing } from '../../serve/tokens-repo.ts';
import { defaultSessionHours } from '../../serve/sessions-repo.ts';
import { action, badInput, output, wholeNumber, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { requestStop } from '../../../sandbox/stop.ts';
import { table } from '../table.ts';
import { quote } from '../../../core/quote.ts';

interface ServeFlags {
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  sessionHours: string;
}

const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function tokenTable(rows: TokenListing[]): string {
  return table(
    ['name', 'created', 'last used', 'revoked'],
    rows.map((t) => [
      t.name,
      t.created_at.toISOString(),
      t.last_used_at?.toISOString() ?? 'never',
      t.revoked_at ? `REVOKED ${t.revoked_at.toISOString()}` : '',
    ]),
  );
}

/** Resolves on the first SIGINT or SIGTERM; later ones are logged (the shutdown in progress is finishing a run). */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (seen) {
        logger.warn(`${signal} received again: still stopping (the process exits within 5 s of the first signal)`);
        return;
      }
      seen = true;
      // The running run is interrupted (its module calls at once, its loop at the next symbol) and closed as failed.
      requestStop(signal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Runs the server until a signal, then shuts it down gracefully; the database stays open (and, embedded, locked) throughout. */
async function serve(flags: ServeFlags): Promise<void> {
  const port = wholeNumber(flags.port, '--port', 0, 65535);
  if (flags.host.trim() === '') throw badInput('--host must be an address such as 127.0.0.1.');
  const tls = readTlsFiles(flags.tlsCert, flags.tlsKey);
  const sessionHours = Number(flags.sessionHours);
  if (!/^\d+(\.\d+)?$/.test(flags.sessionHours) || sessionHours <= 0 || sessionHours > 720)
    throw badInput(`--session-hours is a number of hours above 0 and at most 720, not ${quote(flags.sessionHours)}.`);
  const db: Db = await openDb({ command: 'trader serve', share: true });
  try {
    await assertMigrated(db);
    // LIVE: the audit trail is verified and the account reconciled before any request is taken.
    const reconciler = await liveServiceReconciler(db, await unlockForService(db, systemModeFromEnv()));
    const stopReconciling = new AbortController();
    if ((await listTokens(db)).length === 0)
      logger.warn(
        'no API token exists yet: every request but GET /health will get 401; stop the server and run `trader serve token create`',
      );
    if (!loopback.test(flags.host) && !tls)
      logger.warn(
        `listening on ${flags.host}, not only this machine: tokens travel in clear text, so give --tls-cert and --tls-key or put a TLS proxy in front`,
      );
    const server = await startServer(db, { host: flags.host, port, tls, sessionHours });
    process.stdout.write(
      `trader serve: listening on ${server.url}, the dashboard at ${server.url}/ui (${db.kind === 'pglite' ? 'embedded database, held until the server stops' : 'Postgres'}); Ctrl-C stops it within 5 s (a running run is interrupted and closed as failed)\n`,
    );
    const reconciling = reconciler ? reconcileEvery(db, reconciler, stopReconciling.signal) : undefined;
    const signal = await shutdownSignal();
    stopReconciling.abort();
    await reconciling;
    const running = server.runs.runIds();
    logger.info(
      { signal, runs: running },
      running.length > 0 ? 'shutting down after the running run(s) finish' : 'shutting down',
    );
    await server.close();
  } finally {
    await db.close();
  }
  process.stdout.write('trader serve: stopped\n');
}

export function registerServeCommands(program: Command): void {
  const serveCmd = program
    .command('serve')
    .enablePositionalOptions()
    .description(
      'the dashboard (/ui) and an authenticated HTTP API for n8n and other callers: start runs, read runs, status and proposals, approve or reject',
    )
    .option(
      '--host <address>',
      'address to listen on (keep the default unless TLS is on or a TLS proxy is in front)',
      '127.0.0.1',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8787')
    .option(
      '--tls-cert <file>',
      'serve HTTPS with this PEM certificate (chain), e.g. for a hosted n8n; needs --tls-key',
    )
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--session-hours <h>', 'how long a dashboard login lasts', String(defaultSessionHours))
    .addHelpText(
      'after',
      '\nExample:\n  $ trader serve token create --name n8n   # prints the token once\n  $ trader serve --port 8787\n  $ curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8787/status\n  $ trader serve --host 0.0.0.0 --tls-cert fullchain.pem --tls-key privkey.pem   # HTTPS, for a hosted n8n\n\nEndpoints: GET /health (no token), POST /runs, GET /runs, GET /runs/<run_id>, GET /status, GET /proposals,\nPOST /proposals/<id>/approve, POST /proposals/<id>/reject. The dashboard: open http://127.0.0.1:8787/ui and log in\nwith a token. See the README, sections Dashboard and HTTP API.',
    )
    .action(action(serve));

  const token = serveCmd
    .command('token')
    .description('the bearer tokens that may call `trader serve` (only their sha256 is stored)');

  withJson(token.command('create'))
    .description('create a token and print it once: it cannot be shown again')
    .option('--name <name>', 'what the token is for, e.g. the caller', 'n8n')
    .addHelpText(
      'after',
      "\nExample:\n  $ trader serve token create --name n8n\n\nWorks while `trader serve` runs: on the embedded database it connects through the server's socket.",
    )
    .action(
      action(async (opts: JsonFlag & { name: string }) => {
        const name = TokenName.safeParse(opts.name);
        if (!name.success)
          throw badInput(`--name ${quote(opts.name)} is not a token name: ${name.error.issues[0]!.message}.`);
        const created = await withDb('serve token create', (db) => createToken(db, name.data));
        output(opts, { ok: true, ...created }, () =>
          [
            `Token '${created.name}' created. Copy it now: only its hash is stored, so it cannot be shown again.`,
            created.token,
            'Send it as the header  Authorization: Bearer <token>',
          ].join('\n'),
        );
      }),
    );

  withJson(token.command('list'))
    .description('the tokens by name, with when each was created and last used (never the tokens themselves)')
    .option('--all', 'include revoked tokens')
    .addHelpText('after', '\nExample:\n  $ trader serve token list --all')
    .action(
      action(async (opts: JsonFlag & { all?: boolean }) => {
        const rows = await withDb('serve token list', (db) => listTokens(db, { all: opts.all }));
        output(opts, { ok: true, tokens: rows }, () =>
          rows.length === 0 ? 'No tokens; create one with `trader serve token create`.' : tokenTable(rows),
        );
      }),
    );

  withJson(token.command('revoke <name>'))
    .description('revoke a token: it stops working with the next request')
    .addHelpText('after', '\nExample:\n  $ trader serve token revoke n8n')
    .action(
      action(async (name: string, opts: JsonFlag) => {
        const row = await withDb('serve token revoke', (db) => revokeToken(db, name));
        output(opts, { ok: true, revoked: row }, () => `Token '${row.name}' revoked.`);
      }),
    );
}
