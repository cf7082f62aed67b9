import type { Command } from 'commander';
import { systemModeFromEnv, tradingScope } from '../../../trading/scope.ts';
import { loadTradingStatus, type TradingStatus } from '../../../trading/governance/trading-status.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

const money = (n: number) => n.toFixed(2);

/** The loud lines first: leverage and halts must be impossible to overlook. */
function alarms(s: TradingStatus): string[] {
  const lines: string[] = [];
  if (s.leverage.enabled) lines.push(`!!! LEVERAGE ACTIVE (max ${s.leverage.max_leverage}x) !!!`);
  if (s.halt.emergency) {
    lines.push('!!! HALTED: EMERGENCY HALT - DRAWDOWN LIMIT REACHED - MANUAL REVIEW REQUIRED !!!', '    review the account, then clear it with `trader halt clear` (master PIN)');
  } else if (s.halt.halted) {
    lines.push(`!!! HALTED: ${s.halt.reason ?? 'no reason recorded'} !!!`, '    lift it with `trader resume`');
  }
  return lines;
}

function describe(s: TradingStatus): string {
  const p = s.risk_profile;
  const q = s.equity.quote_currency;
  const leverage = s.leverage.enabled ? `ACTIVE, up to ${s.leverage.max_leverage}x (since ${s.leverage.enabled_at?.toISOString()})` : 'off';
  const trading = s.halt.halted ? `HALTED since ${s.halt.halted_at?.toISOString() ?? '?'} (${s.halt.reason ?? 'no reason recorded'})` : 'running';
  const ack = s.halt.close_all_acknowledged_at ? ` (acknowledged ${s.halt.close_all_acknowledged_at.toISOString()})` : '';
  return [
    ...alarms(s),
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
  ].join('\n');
}

export function registerStatusCommand(program: Command): void {
  withJson(program.command('status'))
    .description('the trading state of this system mode: mode, risk profile, leverage, halts, equity and drawdown, wallet, positions, proposals')
    .addHelpText('after', '\nExample:\n  $ trader status\n  $ TRADER_SYSTEM_MODE=LIVE trader status --json')
    .action(
      action(async (opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const status = await withDb('status', (db) => loadTradingStatus(db, scope));
        output(opts, { ok: true, ...status }, () => describe(status));
      }),
    );
}
