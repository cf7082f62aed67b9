import { unlockIfLive } from '../../../trading/live-account/unlock.ts';
import type { Command } from 'commander';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { listProposals, type Proposal, ProposalStatus } from '../../../trading/proposals/proposals-repo.ts';
import { parseProposalId, reviewAsUser, type ReviewDone } from '../../../trading/proposals/review-as-user.ts';
import { systemModeFromEnv, tradingScope, tradingTx } from '../../../trading/scope.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { quote } from '../../../core/quote.ts';

const n = (x: number) => String(Number(x.toPrecision(10)));

/** `proposals list` for a human: one row per proposal under named columns. */
function proposalTable(rows: Proposal[]): string {
  return table(
    [
      'id',
      'status',
      'side',
      'qty',
      'symbol',
      'entry',
      'stop',
      'risk',
      'leverage',
      'source',
      'drawdown',
      'expires / note',
    ],
    rows.map((p) => [
      `#${p.proposal_id}`,
      p.status.toUpperCase(),
      p.side,
      n(p.qty),
      p.symbol,
      `~${n(p.entry)}`,
      n(p.stop),
      `${p.risk_pct.toFixed(2)}% (${n(p.intent.risk_amount)} ${p.symbol.split('/')[1]})`,
      p.leverage > 1 ? `LEVERAGE ${n(p.leverage)}x` : '1x',
      `${p.source_module ?? '?'}${p.strategy_id ? ` (${p.strategy_id})` : ''}`,
      `${p.drawdown_pct.toFixed(2)}%`,
      p.status === 'pending' ? `expires ${p.expires_at.toISOString()}` : (p.decision_note ?? ''),
    ]),
  );
}

function printOutcome(opts: JsonFlag, r: ReviewDone): void {
  const p = r.proposal;
  output(opts, { ok: true, ...r }, () =>
    r.status === 'approved'
      ? `Approved #${p.proposal_id}: opened position ${r.position_id} (${p.side} ${n(p.qty)} ${p.symbol} near ${n(r.fill_reference)}).`
      : `Rejected #${p.proposal_id}.`,
  );
}

export function registerProposalsCommands(program: Command): void {
  const proposals = program
    .command('proposals')
    .description('trade proposals waiting for your decision (Semi-Automatic mode)');

  withJson(proposals.command('list'))
    .description('list proposals, newest first: asset, side, size, entry, stop, risk, leverage, source and drawdown')
    .option('--status <status>', `only this status (${ProposalStatus.options.join(', ')})`)
    .option('--limit <n>', 'how many', '20')
    .addHelpText('after', '\nExample:\n  $ trader proposals list --status pending')
    .action(
      action(async (opts: JsonFlag & { status?: string; limit: string }) => {
        const status = opts.status === undefined ? undefined : ProposalStatus.safeParse(opts.status);
        if (status && !status.success)
          throw badInput(`--status must be one of ${ProposalStatus.options.join(', ')}, not ${quote(opts.status)}.`);
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw badInput(`--limit must be a whole number from 1 to 1000, not ${quote(opts.limit)}.`);
        const scope = tradingScope(systemModeFromEnv());
        const rows = await withDb('proposals list', (db) =>
          tradingTx(db, scope, (tx) => listProposals(tx, scope, { status: status?.data, limit })),
        );
        output(opts, { ok: true, mode: scope.mode, proposals: rows }, () =>
          rows.length === 0 ? 'No proposals.' : proposalTable(rows),
        );
      }),
    );

  withJson(proposals.command('approve <id>'))
    .description('approve a pending proposal: it is repriced, re-checked by the risk gate now, then executed')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader proposals approve 12\n\nExit codes: 0 executed, 2 unknown, expired or already decided, 3 refused by the risk gate at approval time.',
    )
    .action(
      action(async (raw: string, opts: JsonFlag & { yes?: boolean }) => {
        const id = parseProposalId(raw);
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('proposals approve', (db) =>
          reviewAsUser(db, scope, {
            id,
            verb: 'approve',
            note: null,
            confirmation: { via: 'cli', ask: askOnTerminal({ yes: opts.yes }) },
            // A LIVE approval sends a real order: the master PIN opens the account's keys.
            beforeApprove: () => unlockIfLive(db, scope.mode, askOnTerminal()).then(() => undefined),
          }),
        );
        printOutcome(opts, r);
      }),
    );

  withJson(proposals.command('reject <id>'))
    .description('reject a pending proposal; nothing is traded')
    .option('--note <text>', 'why, kept with the proposal and in the audit trail')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  $ trader proposals reject 12 --note "news risk"')
    .action(
      action(async (raw: string, opts: JsonFlag & { yes?: boolean; note?: string }) => {
        const id = parseProposalId(raw);
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('proposals reject', (db) =>
          reviewAsUser(db, scope, {
            id,
            verb: 'reject',
            note: opts.note ?? null,
            confirmation: { via: 'cli', ask: askOnTerminal({ yes: opts.yes }) },
          }),
        );
        printOutcome(opts, r);
      }),
    );
}
