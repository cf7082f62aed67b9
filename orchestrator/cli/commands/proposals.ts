import { unlockIfLive } from '../../../trading/live-account/unlock.ts';
import type { Command } from 'commander';
import { TraderError, isTraderError } from '../../../core/errors.ts';
import type { Db } from '../../../store/db.ts';
import { recordAudit } from '../../../trading/audit/audit-log.ts';
import { confirmOrRefuse } from '../../../trading/governance/user-action.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import {
  getProposal,
  listProposals,
  type Proposal,
  ProposalStatus,
} from '../../../trading/proposals/proposals-repo.ts';
import { approveProposal, rejectProposal, type ReviewResult } from '../../../trading/proposals/review-proposal.ts';
import { systemModeFromEnv, type TradingScope, tradingScope, tradingTx } from '../../../trading/scope.ts';
import { loadState } from '../../../trading/state-repo.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { quote } from '../../../core/quote.ts';

const n = (x: number) => String(Number(x.toPrecision(10)));

function describe(p: Proposal): string {
  const quote = p.symbol.split('/')[1];
  const lev = p.leverage > 1 ? `  LEVERAGE ${n(p.leverage)}x` : '';
  return `#${p.proposal_id} ${p.status.toUpperCase().padEnd(8)} ${p.side} ${n(p.qty)} ${p.symbol} at ~${n(p.entry)}, stop ${n(p.stop)}, risk ${p.risk_pct.toFixed(2)}% (${n(p.intent.risk_amount)} ${quote})${lev}; by ${p.source_module ?? '?'}${p.strategy_id ? ` (${p.strategy_id})` : ''}; drawdown ${p.drawdown_pct.toFixed(2)}%; ${p.status === 'pending' ? `expires ${p.expires_at.toISOString()}` : (p.decision_note ?? '')}`;
}

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

function proposalId(raw: string): number {
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id < 1)
    throw badInput(`A proposal id is a positive whole number, not ${quote(raw)}.`);
  return id;
}

/** A refused review is audited too, in its own transaction (the refused one rolled back). */
async function auditRefusal(db: Db, scope: TradingScope, id: number, verb: string, e: unknown): Promise<void> {
  if (!isTraderError(e)) return;
  await tradingTx(db, scope, (tx) =>
    recordAudit(tx, {
      mode: scope.mode,
      actor: 'USER',
      action_type: 'TRADE_PROPOSAL_REVIEW_REFUSED',
      status: 'FAILURE',
      details: { verb, reason: e.message },
      entity_type: 'proposal',
      entity_id: String(id),
    }),
  );
}

/** Shows the proposal and asks for confirmation (a decline is audited by confirmOrRefuse), then runs the review; a refusal is audited too. */
async function review(
  db: Db,
  scope: TradingScope,
  id: number,
  verb: 'approve' | 'reject',
  yes: boolean | undefined,
  run: () => Promise<ReviewResult>,
): Promise<ReviewResult> {
  const refused = async (e: unknown): Promise<never> => {
    await auditRefusal(db, scope, id, verb, e);
    throw e;
  };
  const { p, state } = await tradingTx(db, scope, async (tx) => ({
    p: await getProposal(tx, scope, id),
    state: await loadState(tx, scope),
  }));
  if (!p)
    return refused(
      new TraderError(
        'NOT_FOUND',
        `There is no proposal ${id} in ${scope.mode}; list them with \`trader proposals list\`.`,
      ),
    );
  const question = `${describe(p)}\n${verb === 'approve' ? 'Approve and execute' : 'Reject'} proposal ${id}?`;
  const declined = new TraderError('BAD_INPUT', `You did not confirm; proposal ${id} is still pending.`);
  await confirmOrRefuse(
    db,
    scope,
    state.risk_profile,
    askOnTerminal({ yes }),
    question,
    { action_type: 'TRADE_PROPOSAL_REVIEW', details: { verb, proposal_id: id } },
    declined,
  );
  return run().catch(refused);
}

function reviewOutcome(opts: JsonFlag, r: ReviewResult): number {
  const p = r.proposal;
  if (r.status === 'expired')
    throw new TraderError(
      'BAD_INPUT',
      `Proposal ${p.proposal_id} expired at ${p.expires_at.toISOString()}; nothing was traded.`,
    );
  if (r.status === 'failed')
    throw new TraderError(
      'HALTED',
      `Proposal ${p.proposal_id} was approved but refused at execution: ${r.reasons.join('; ')}.`,
    );
  output(opts, { ok: true, ...r }, () =>
    r.status === 'approved'
      ? `Approved #${p.proposal_id}: opened position ${r.position_id} (${p.side} ${n(p.qty)} ${p.symbol} near ${n(r.fill_reference)}).`
      : `Rejected #${p.proposal_id}.`,
  );
  return 0;
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
        const id = proposalId(raw);
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('proposals approve', (db) =>
          review(db, scope, id, 'approve', opts.yes, async () => {
            // A LIVE approval sends a real order: the master PIN opens the account's keys.
            await unlockIfLive(db, scope.mode, askOnTerminal());
            return approveProposal(db, scope, id);
          }),
        );
        return reviewOutcome(opts, r);
      }),
    );

  withJson(proposals.command('reject <id>'))
    .description('reject a pending proposal; nothing is traded')
    .option('--note <text>', 'why, kept with the proposal and in the audit trail')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  $ trader proposals reject 12 --note "news risk"')
    .action(
      action(async (raw: string, opts: JsonFlag & { yes?: boolean; note?: string }) => {
        const id = proposalId(raw);
        const scope = tradingScope(systemModeFromEnv());
        const r = await withDb('proposals reject', (db) =>
          review(db, scope, id, 'reject', opts.yes, () => rejectProposal(db, scope, id, opts.note ?? null)),
        );
        return reviewOutcome(opts, r);
      }),
    );
}
