import { html } from 'hono/html';
import { traderEnv } from '../../../core/env.ts';
import { listRuns, type RunRow } from '../../../engine/run/runs-repo.ts';
import type { Db } from '../../../store/db.ts';
import { queueHealth, type QueueHealth, workerAlarms } from '../../../queue/queue-health.ts';
import { loadTradingStatus, type TradingStatus } from '../../../trading/governance/trading-status.ts';
import { loadLiveStatus, type LiveStatus } from '../../../trading/live-account/live-status.ts';
import type { TradingScope } from '../../../trading/scope.ts';
import { listScheduleViews } from '../../schedule/schedule-view.ts';
import { money, pct, when } from './format.ts';

/** What the status bar on every page shows, read once per page. */
export interface StatusBar {
  trading: TradingStatus;
  lastRun: RunRow | null;
  nextTick: string | null;
  /** LIVE only: the account's reconciliation with the exchange. */
  live: LiveStatus | null;
  /** Postgres with the job queue only: the workers and jobs, as `trader status` counts them. */
  workers: QueueHealth | null;
}

export async function loadStatusBar(
  db: Db,
  scope: TradingScope,
  now: Date,
  env: NodeJS.ProcessEnv,
): Promise<StatusBar> {
  const [trading, runs, schedules, live, workers] = await Promise.all([
    loadTradingStatus(db, scope),
    listRuns(db, { limit: 1 }),
    listScheduleViews(db, now),
    scope.mode === 'LIVE' ? loadLiveStatus(db, { now }) : Promise.resolve(null),
    queueHealth(db, traderEnv(env).TRADER_WORKER_DEAD_SECONDS),
  ]);
  const ticks = schedules.filter((s) => s.system_mode === scope.mode).map((s) => s.next_tick);
  return { trading, lastRun: runs[0] ?? null, nextTick: ticks.sort()[0] ?? null, live, workers };
}

const item = (label: string, value: unknown, cls = '') =>
  html`<div class="sb-item ${cls}"><span class="sb-label">${label}</span> <span class="sb-value">${value}</span></div>`;

function reconciliation(live: LiveStatus | null) {
  if (!live) return '';
  if (!live.initialised) return item('Reconciliation', 'no live account', 'warn');
  const r = live.reconciliation;
  const problems = r.open_differences.length + r.halted_markets.length;
  if (problems > 0) return item('Reconciliation', `${problems} problem(s): LIVE halted`, 'alarm');
  return item('Reconciliation', r.last_checked_at ? `clean, ${when(r.last_checked_at)}` : 'never checked', 'ok');
}

/** `3 alive, 1 stale`: loud when `trader status` is (jobs nobody takes, jobs failed in the last day), amber for a stale worker. */
function workersItem(h: QueueHealth | null) {
  if (!h) return '';
  const cls = workerAlarms(h).length > 0 ? 'alarm' : h.stale > 0 ? 'warn' : '';
  return item('Workers', `${h.alive} alive${h.stale > 0 ? `, ${h.stale} stale` : ''}`, cls);
}

/** The bar itself: loud where the seed asks for loud (LIVE, leverage, halt, emergency, drawdown near its limit). */
export function renderStatusBar(s: StatusBar) {
  const t = s.trading;
  const e = t.equity;
  const ddRatio = e.drawdown_limit_pct > 0 ? e.drawdown_pct / e.drawdown_limit_pct : 0;
  const profile = t.risk_profile;
  return html`<header id="status-bar" class="status-bar mode-${t.system_mode.toLowerCase()}" aria-label="System status">
    <div class="sb-item sb-mode">
      <span class="sb-label">Mode</span> <strong class="sb-value">${t.system_mode}</strong>
    </div>
    ${item('Operation', t.operational_mode)}
    ${item('Risk profile', `${profile.profile} (${profile.risk_per_trade_pct}% per trade, drawdown limit ${profile.max_drawdown_pct}%)`, `risk-${profile.profile}`)}
    ${t.leverage.enabled ? item('Leverage', `LEVERAGE ACTIVE (max ${t.leverage.max_leverage}x)`, 'alarm blink') : item('Leverage', 'inactive')}
    ${
      t.halt.halted
        ? item(
            'Trading',
            `${t.halt.emergency ? 'EMERGENCY STOPPED' : 'HALTED'}: ${t.halt.reason ?? 'no reason given'}`,
            'alarm',
          )
        : item('Trading', 'running', 'ok')
    }
    ${item('Equity', money(e.equity, e.quote_currency))}
    ${item('Drawdown', `${pct(e.drawdown_pct)} of ${pct(e.drawdown_limit_pct)} limit`, ddRatio >= 1 ? 'alarm' : ddRatio >= 0.75 ? 'warn' : '')}
    ${item('Last run', s.lastRun ? `${s.lastRun.status}, ${when(s.lastRun.started_at)}` : 'none yet', s.lastRun?.status === 'failed' ? 'warn' : '')}
    ${item('Next tick', s.nextTick ? when(new Date(s.nextTick)) : 'no schedule')} ${workersItem(s.workers)}
    ${reconciliation(s.live)}
  </header>`;
}
