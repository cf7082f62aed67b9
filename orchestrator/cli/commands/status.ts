import type { Command } from 'commander';
import { backupAlarms, type BackupHealth, backupHealth, backupLine } from '../../backup/operation-health.ts';
import {
  describeLiveStatus,
  loadLiveStatus,
  reconciliationAlarms,
  type LiveStatus,
} from '../../../trading/live-account/live-status.ts';
import { isReconciliationHalt } from '../../../trading/live/reconcile/halt-reason.ts';
import { checkModeBarrier, type ModeBarrier } from '../../../trading/mode-barrier.ts';
import { systemModeFromEnv, tradingScope } from '../../../trading/scope.ts';
import { traderEnv } from '../../../core/env.ts';
import { queueHealth, type QueueHealth, workerAlarms, workersLine } from '../../../queue/queue-health.ts';
import { loadTradingStatus, type TradingStatus } from '../../../trading/governance/trading-status.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

const money = (n: number) => n.toFixed(2);

/** The loud lines first: leverage, halts and an open TEST/LIVE barrier on a server must be impossible to overlook. */
function alarms(s: TradingStatus, barrier: ModeBarrier, embedded: boolean): string[] {
  const lines: string[] = [];
  if (!barrier.holds && !embedded)
    lines.push(
      `!!! TEST/LIVE BARRIER OPEN: ${barrier.crossings.join('; ')} !!!`,
      `    connect as a login role of this mode only (create them with \`trader db roles\`)`,
    );
  if (s.leverage.enabled) lines.push(`!!! LEVERAGE ACTIVE (max ${s.leverage.max_leverage}x) !!!`);
  if (s.halt.emergency) {
    lines.push(
      s.halt.reason === 'EMERGENCY_DRAWDOWN'
        ? '!!! HALTED: EMERGENCY HALT - DRAWDOWN LIMIT REACHED - MANUAL REVIEW REQUIRED !!!'
        : `!!! HALTED: EMERGENCY HALT - ${s.halt.reason ?? 'no reason recorded'} - MANUAL REVIEW REQUIRED !!!`,
      '    review the account, then clear it with `trader halt clear` (master PIN)',
    );
    if (s.halt.action_pending)
      lines.push(
        `!!! ${s.halt.action_pending} NOT CARRIED OUT ON THE EXCHANGE YET: the next LIVE run with the keys carries on !!!`,
        ...(s.halt.action_problem ? [`    last attempt: ${s.halt.action_problem}`] : []),
      );
  } else if (s.halt.halted) {
    const lift = isReconciliationHalt(s.halt.reason)
      ? 'resolve it with `trader reconcile --accept` (master PIN)'
      : 'lift it with `trader resume`';
    lines.push(`!!! HALTED: ${s.halt.reason ?? 'no reason recorded'} !!!`, `    ${lift}`);
  }
  for (const d of s.disabled_strategies)
    lines.push(
      `!!! STRATEGY ${d.strategy_id} DISABLED: ${d.disabled_reason} !!!`,
      `    fix its modules, then \`trader strategy enable ${d.strategy_id}\``,
    );
  return lines;
}

/** The barrier line: on the embedded database a plain statement (it cannot be otherwise there). */
function barrierLine(barrier: ModeBarrier, embedded: boolean): string {
  if (barrier.holds) return `holds: ${barrier.login} can reach this mode's role only`;
  return embedded
    ? `none: ${barrier.crossings.join('; ')} (for one, use Postgres and \`trader db roles\`)`
    : `OPEN (see above)`;
}

function describe(
  s: TradingStatus,
  barrier: ModeBarrier,
  embedded: boolean,
  live: LiveStatus | null,
  backups: BackupHealth,
  workers: QueueHealth | null,
): string {
  const p = s.risk_profile;
  const q = s.equity.quote_currency;
  const leverage = s.leverage.enabled
    ? `ACTIVE, up to ${s.leverage.max_leverage}x (since ${s.leverage.enabled_at?.toISOString()})`
    : 'off';
  const trading = s.halt.halted
    ? `HALTED since ${s.halt.halted_at?.toISOString() ?? '?'} (${s.halt.reason ?? 'no reason recorded'})`
    : 'running';
  const ack = s.halt.close_all_acknowledged_at
    ? ` (acknowledged ${s.halt.close_all_acknowledged_at.toISOString()})`
    : '';
  return [
    ...alarms(s, barrier, embedded),
    ...(live ? reconciliationAlarms(live) : []),
    ...backupAlarms(backups),
    ...(workers ? workerAlarms(workers) : []),
    `system mode        ${s.system_mode}${s.system_mode === 'TEST' ? ' (paper trading)' : ' (real money)'}`,
    `operational mode   ${s.operational_mode}`,
    `risk profile       ${p.profile}: ${p.risk_per_trade_pct}% per trade, halt at ${p.max_drawdown_pct}% drawdown, at most ${p.max_open_positions} open positions, ${p.category_cap_pct}% per category, leverage ${p.allow_leverage ? `allowed up to ${p.max_leverage}x` : 'not allowed'}`,
    `leverage           ${leverage}`,
    `trading            ${trading}`,
    `equity             ${money(s.equity.equity)} ${q} (peak ${money(s.equity.peak_equity)}${s.equity.as_of ? `, as of ${s.equity.as_of.toISOString()}` : ''})`,
    `drawdown           ${s.equity.drawdown_pct.toFixed(2)}% of the ${s.equity.drawdown_limit_pct}% limit`,
    `emergency action   ${s.halt.action}${ack}`,
    `wallet             ${s.wallet_balance === null ? 'no balance recorded' : `${money(s.wallet_balance)} ${q}`}`,
    `open positions     ${s.open_positions}`,
    `pending proposals  ${s.pending_proposals}`,
    `strategy proposals ${s.strategy_proposals}${s.strategy_proposals > 0 ? ' (`trader strategy proposals list`)' : ''}`,
    `TEST/LIVE barrier  ${barrierLine(barrier, embedded)}`,
    `last backup        ${backupLine(backups)}`,
    // Postgres only: the embedded database has no job queue.
    ...(workers ? [`workers            ${workersLine(workers)}`] : []),
    ...(live ? describeLiveStatus(live) : []),
  ].join('\n');
}

export function registerStatusCommand(program: Command): void {
  withJson(program.command('status'))
    .description(
      'the trading state of this system mode: mode, risk profile, leverage, halts, equity and drawdown, wallet, positions, proposals; in LIVE the live account, its caps and key file; on Postgres the workers and the job queue',
    )
    .addHelpText('after', '\nExample:\n  $ trader status\n  $ TRADER_SYSTEM_MODE=LIVE trader status --json')
    .action(
      action(async (opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const { status, barrier, embedded, live, backups, workers } = await withDb('status', async (db) => ({
          status: await loadTradingStatus(db, scope),
          barrier: await checkModeBarrier(db, scope),
          embedded: db.kind === 'pglite',
          // A TEST process cannot read LIVE tables, and has no LIVE account to show.
          live: scope.mode === 'LIVE' ? await loadLiveStatus(db, { now: new Date() }) : null,
          backups: await backupHealth(db),
          workers: await queueHealth(db, traderEnv(process.env).TRADER_WORKER_DEAD_SECONDS),
        }));
        output(opts, { ok: true, ...status, barrier, live, backups, ...(workers ? { workers } : {}) }, () =>
          describe(status, barrier, embedded, live, backups, workers),
        );
      }),
    );
}
