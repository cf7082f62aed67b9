import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { systemModeFromEnv, tradingScope, tradingTx } from '../../../trading/scope.ts';
import {
  comparison,
  pendingProposal,
  reviewStrategyVersion,
} from '../../../trading/strategies/review-strategy-version.ts';
import { listVersions, type StrategyVersionRow } from '../../../trading/strategies/strategy-versions.ts';
import { StrategyReport } from '../../../optimise/study-report.ts';
import { enableStrategy } from '../../../trading/strategies/strategy-health.ts';
import { loadState } from '../../../trading/state-repo.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';

const pct = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}%`);

/** One line of evidence from the study that produced a version: out of sample, always. */
function evidence(v: StrategyVersionRow): string {
  const r = StrategyReport.safeParse(v.report);
  if (!r.success) return 'no study report';
  const o = r.data.out_of_sample;
  const now = r.data.incumbent ? `, what traded then ${pct(r.data.incumbent.out_of_sample.total_return_pct)}` : '';
  return `out of sample ${pct(o.total_return_pct)} (DD ${pct(o.max_drawdown_pct)}, ${o.trades} trades) vs buy-and-hold ${pct(r.data.buy_and_hold_pct)}${now}; ${r.data.overfitting?.verdict ?? 'overfitting not measured'}`;
}

const versionTable = (rows: StrategyVersionRow[]) =>
  table(
    ['strategy', 'version', 'status', 'created', 'profiles', 'evidence'],
    rows.map((v) => [
      v.strategy_id,
      String(v.version),
      v.status ?? '-',
      v.created_at.toISOString().slice(0, 16),
      v.suitable_risk_profiles.join(','),
      evidence(v),
    ]),
  );

export function registerStrategyGovernanceCommands(strategy: Command): void {
  withJson(strategy.command('enable <strategy>'))
    .description('switch back on a strategy disabled after its modules kept failing (audited STRATEGY_ENABLED)')
    .action(
      action(async (strategyId: string, opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        await withDb('strategy enable', (db) =>
          tradingTx(db, scope, async (tx) =>
            enableStrategy(tx, scope, strategyId, (await loadState(tx, scope)).risk_profile),
          ),
        );
        output(
          opts,
          { ok: true, mode: scope.mode, strategy_id: strategyId },
          () => `Strategy ${strategyId} is enabled again in ${scope.mode}; its next run counts failures from zero.`,
        );
      }),
    );

  withJson(strategy.command('versions [strategy]'))
    .description("a strategy's versions with this mode's status (ACTIVE, PROPOSED, REJECTED, RETIRED), newest first")
    .action(
      action(async (strategyId: string | undefined, opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const rows = await withDb('strategy versions', (db) =>
          tradingTx(db, scope, (tx) => listVersions(tx, scope, strategyId ? { strategyId } : {})),
        );
        output(opts, { ok: true, mode: scope.mode, versions: rows }, () =>
          rows.length === 0 ? 'No strategy versions yet; `trader optimise` produces them.' : versionTable(rows),
        );
      }),
    );

  const proposals = strategy
    .command('proposals')
    .description(
      'strategy versions an optimiser study proposed, waiting for your approval (require_strategy_approval)',
    );

  withJson(proposals.command('list'))
    .description('pending strategy proposals in this system mode')
    .action(
      action(async (opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const rows = await withDb('strategy proposals list', (db) =>
          tradingTx(db, scope, (tx) => listVersions(tx, scope, { status: 'PROPOSED' })),
        );
        output(opts, { ok: true, mode: scope.mode, proposals: rows }, () =>
          rows.length === 0 ? 'No strategy proposals.' : versionTable(rows),
        );
      }),
    );

  withJson(proposals.command('show <strategy>'))
    .description("a strategy's pending proposal next to the version trading now, with its out-of-sample evidence")
    .action(
      action(async (strategyId: string, opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const { proposed, active } = await withDb('strategy proposals show', (db) =>
          pendingProposal(db, scope, strategyId),
        );
        if (!proposed)
          throw new TraderError('NOT_FOUND', `Strategy ${strategyId} has no pending proposal in ${scope.mode}.`);
        output(
          opts,
          { ok: true, mode: scope.mode, proposed, active: active ?? null },
          () => `${comparison(proposed, active)}\n  evidence: ${evidence(proposed)}`,
        );
      }),
    );

  for (const verb of ['approve', 'reject'] as const)
    withJson(proposals.command(`${verb} <strategy>`))
      .description(
        verb === 'approve'
          ? 'activate the proposed version (LIVE asks for the master PIN); the version it replaces is retired'
          : 'reject the proposed version; the active one keeps trading',
      )
      .option('--note <text>', 'why, kept with the version and in the audit trail')
      .option('--yes', 'do not ask for confirmation')
      .action(
        action(async (strategyId: string, opts: JsonFlag & { yes?: boolean; note?: string }) => {
          const scope = tradingScope(systemModeFromEnv());
          const v = await withDb(`strategy proposals ${verb}`, (db) =>
            reviewStrategyVersion(
              db,
              scope,
              { strategyId, verb, note: opts.note ?? null, by: 'cli' },
              askOnTerminal({ yes: opts.yes }),
            ),
          );
          output(opts, { ok: true, mode: scope.mode, version: v }, () =>
            verb === 'approve'
              ? `Version ${v.version} of ${strategyId} is ACTIVE in ${scope.mode}; the next run trades it.`
              : `Version ${v.version} of ${strategyId} rejected; the active parameters keep trading.`,
          );
        }),
      );
}
