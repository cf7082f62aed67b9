import type { Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { TraderError } from '../../../core/errors.ts';
import { clearEmergencyHalt, haltTrading, resumeTrading } from '../../../trading/governance/halt.ts';
import { parseHaltAction, setHaltAction } from '../../../trading/governance/halt-action.ts';
import { disableLeverage, enableLeverage } from '../../../trading/governance/leverage.ts';
import { panicAction, panicHalt, panicUnfinished } from '../../../trading/governance/panic.ts';
import { liveBrokerWithPin } from '../../../trading/broker-for.ts';
import { comparison, reviewStrategyVersion } from '../../../trading/strategies/review-strategy-version.ts';
import { listVersions, type StrategyVersionRow } from '../../../trading/strategies/strategy-versions.ts';
import { setOperationalMode } from '../../../trading/governance/operational-mode.ts';
import { changeRiskProfile } from '../../../trading/governance/risk-profile-change.ts';
import type { Ask } from '../../../trading/governance/user-action.ts';
import { tradingTx } from '../../../trading/scope.ts';
import {
  HaltAction,
  loadRiskProfiles,
  loadState,
  OperationalMode,
  type RiskProfile,
  RiskProfileName,
} from '../../../trading/state-repo.ts';
import type { ServerDeps } from '../route-types.ts';
import { formAsk, QuestionPending, questionForm } from './confirm-ask.ts';
import { OptimiseForm, optimiseSection } from './optimise-control.ts';
import { listSchedules } from '../../schedule/schedules-repo.ts';
import { recentRequests, requestScheduleRun } from '../../schedule/schedule-requests.ts';
import { csrfField, type Html } from './layout.ts';
import { render } from './render.ts';
import { dataTable } from './table.ts';
import { formOf, type DashboardContext, type DashboardEnv } from './session-guard.ts';

/**
 * The seed's "Strategies & Risk" controls and its global halt buttons: each form calls the
 * use case `trader mode set`, `risk set`, `halt`, `resume` and `halt clear` call, which asks its own
 * questions (confirm-ask.ts turns them into pages) and audits as it does for the CLI.
 */

/** The opt-in correlated-cluster rule: off, or its cap at the correlation that links markets. */
const clusterCap = (p: RiskProfile) =>
  p.cluster_cap_pct === null
    ? 'off'
    : `${p.cluster_cap_pct}% (ρ ≥ ${p.cluster_min_correlation}, ${p.cluster_window_days} d)`;

const HaltForm = z.object({ reason: z.string().trim().max(200).optional() });
const VersionForm = z.object({
  strategy_id: z.string().min(1).max(100),
  verb: z.enum(['approve', 'reject']),
  note: z.string().trim().max(500).optional(),
});
const ToMode = z.object({ to: OperationalMode });
const ToProfile = z.object({ to: RiskProfileName });
const ToHaltAction = z.object({ to: z.string().max(40) });

type Action = (c: DashboardContext, deps: ServerDeps, ask: Ask) => Promise<unknown>;
const actions = {
  halt: (c, d, ask) => haltTrading(d.db, d.scope, formOf(c, HaltForm).reason || undefined, ask),
  resume: (_c, d, ask) => resumeTrading(d.db, d.scope, ask),
  clear: (_c, d, ask) => clearEmergencyHalt(d.db, d.scope, ask),
  panic: async (c, d, ask) => {
    const r = await panicHalt(d.db, d.scope, {
      reason: formOf(c, HaltForm).reason || undefined,
      ask,
      // The server may hold the keys (its key file); the person at the browser still gives the PIN.
      openBroker: () => liveBrokerWithPin(d.db, ask, d.env),
    });
    const unfinished = panicUnfinished(r);
    if (unfinished) throw unfinished;
  },
  optimise: (c, d) => {
    const f = formOf(c, OptimiseForm);
    return requestScheduleRun(d.db, f.schedule, { by: c.get('session').name, mode: d.scope.mode, profile: f.profile });
  },
  'halt-action': (c, d, ask) => setHaltAction(d.db, d.scope, parseHaltAction(formOf(c, ToHaltAction).to), ask),
  'leverage-on': (_c, d, ask) => enableLeverage(d.db, d.scope, ask),
  'leverage-off': (_c, d) => disableLeverage(d.db, d.scope),
  version: (c, d, ask) => {
    const f = formOf(c, VersionForm);
    const by = c.get('session').name;
    return reviewStrategyVersion(
      d.db,
      d.scope,
      { strategyId: f.strategy_id, verb: f.verb, note: f.note || null, by },
      ask,
    );
  },
  mode: (c, d, ask) => setOperationalMode(d.db, d.scope, formOf(c, ToMode).to, ask),
  profile: (c, d, ask) => changeRiskProfile(d.db, d.scope, formOf(c, ToProfile).to, ask),
} satisfies Record<string, Action>;
type ActionName = keyof typeof actions;
const ActionName = z.enum(Object.keys(actions) as [ActionName, ...ActionName[]]);

const done: Record<ActionName, string> = {
  halt: 'Trading is halted.',
  resume: 'Trading resumed.',
  clear: 'The emergency halt is cleared; the mode is now observe: choose one again.',
  panic: 'EMERGENCY STOPPED by PANIC. Review the account, then clear the halt (master PIN).',
  'halt-action': 'The emergency halt action is set.',
  optimise: 'The optimisation is requested; the scheduler runs it at its next wake.',
  'leverage-on': 'Leverage is ACTIVE.',
  'leverage-off': 'Leverage is off.',
  version: 'The strategy version is decided.',
  mode: 'The operational mode is set.',
  profile: 'The risk profile is set.',
};

async function act(c: DashboardContext, deps: ServerDeps, name: ActionName): Promise<Response> {
  const form = c.get('form');
  try {
    await actions[name](c, deps, formAsk(form));
  } catch (e) {
    if (!(e instanceof QuestionPending)) throw e;
    // The action's own fields go along with the answers; the answers themselves are questionForm's.
    const fields = Object.fromEntries(Object.entries(form).filter(([k]) => k !== 'csrf' && !/^a\d+$/.test(k)));
    return render(c, deps, {
      title: 'Confirm',
      active: '/ui/controls',
      body: questionForm(c, { action: `/ui/controls/${name}`, fields, pending: e, back: '/ui/controls' }),
    });
  }
  return c.redirect(`/ui/controls?done=${name}`, 303);
}

function versionReview(v: StrategyVersionRow, active: StrategyVersionRow | undefined, csrf: Html) {
  return html`<div class="review">
    <pre class="comparison">${comparison(v, active)}</pre>
    <form method="post" action="/ui/controls/version" class="filters">
      ${csrf}<input type="hidden" name="strategy_id" value="${v.strategy_id}" />
      <label for="note-${v.strategy_id}">Note</label>
      <input id="note-${v.strategy_id}" name="note" type="text" maxlength="500" />
      <button type="submit" name="verb" value="approve">Approve version ${v.version}</button>
      <button type="submit" name="verb" value="reject">Reject</button>
    </form>
  </div>`;
}

const choice = (name: string, label: string, options: readonly string[], current: string) =>
  html`<label for="${name}">${label}</label>
    <select id="${name}" name="to">
      ${options.map((o) => html`<option ${o === current ? 'selected' : ''}>${o}</option>`)}
    </select>`;

export function mountControlPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  const { db, scope } = deps;
  app.get('/ui/controls', async (c) => {
    const { state, profiles, versions, active } = await tradingTx(db, scope, async (tx) => ({
      state: await loadState(tx, scope),
      profiles: await loadRiskProfiles(tx, scope),
      versions: await listVersions(tx, scope, { status: 'PROPOSED' }),
      active: await listVersions(tx, scope, { status: 'ACTIVE' }),
    }));
    const [schedules, requests] = await Promise.all([
      listSchedules(db, scope.mode),
      recentRequests(db, scope.mode, 10),
    ]);
    const high = profiles.find((p) => p.profile === 'high');
    const doneText = ActionName.safeParse(c.req.query('done'));
    const csrf = csrfField(c.get('session'));
    return render(c, deps, {
      title: `Strategies & risk (${scope.mode})`,
      active: '/ui/controls',
      body: html`${doneText.success ? html`<p class="notice ok" role="status">${done[doneText.data]}</p>` : ''}
        <section aria-labelledby="h-halt">
          <h2 id="h-halt">Halt</h2>
          ${
            state.halted
              ? html`<p class="alarm">${state.emergency ? 'EMERGENCY STOPPED' : 'Halted'}: ${state.halt_reason}</p>
                  ${
                    state.emergency
                      ? html`<form method="post" action="/ui/controls/clear">
                          ${csrf}<button type="submit">Clear the emergency halt (master PIN)</button>
                        </form>`
                      : html`<form method="post" action="/ui/controls/resume">
                          ${csrf}<button type="submit">Resume trading</button>
                        </form>`
                  }`
              : html`<form method="post" action="/ui/controls/halt" class="filters">
                  ${csrf}<label for="reason">Reason</label
                  ><input id="reason" name="reason" type="text" maxlength="200" />
                  <button type="submit" class="danger">HALT ALL TRADING</button>
                </form>`
          }
        </section>
        <section aria-labelledby="h-panic">
          <h2 id="h-panic">Emergency</h2>
          <form method="post" action="/ui/controls/halt-action" class="filters">
            ${csrf}${choice('halt-action', 'When the drawdown limit is hit', HaltAction.options, state.emergency_halt_action)}
            <button type="submit">Set the emergency action</button>
          </form>
          <form method="post" action="/ui/controls/panic" class="filters">
            ${csrf}<label for="panic-reason">Reason for the panic</label
            ><input id="panic-reason" name="reason" type="text" maxlength="200" />
            <button type="submit" class="panic">
              ${
                panicAction(state.emergency_halt_action) === 'MARKET_CLOSE_ALL_AND_HALT'
                  ? 'PANIC: market close all & halt'
                  : 'PANIC: cancel all & halt'
              }
            </button>
          </form>
        </section>
        <section aria-labelledby="h-mode">
          <h2 id="h-mode">Operational mode</h2>
          <form method="post" action="/ui/controls/mode" class="filters">
            ${csrf}${choice('mode', 'Mode', OperationalMode.options, state.operational_mode)}
            <button type="submit">Set mode</button>
          </form>
        </section>
        <section aria-labelledby="h-profile">
          <h2 id="h-profile">Risk profile</h2>
          ${dataTable({
            headers: [
              'Profile',
              'Risk per trade',
              'Drawdown halt',
              'Open positions',
              'Category cap',
              'Cluster cap',
              'Leverage',
            ],
            rows: profiles.map(
              (p) =>
                html`<tr class="${p.profile === state.risk_profile ? 'active' : ''}">
                  <td>${p.profile}${p.profile === state.risk_profile ? ' (active)' : ''}</td>
                  <td class="num">${p.risk_per_trade_pct}%</td>
                  <td class="num">${p.max_drawdown_pct}%</td>
                  <td class="num">${p.max_open_positions}</td>
                  <td class="num">${p.category_cap_pct}%</td>
                  <td class="num">${clusterCap(p)}</td>
                  <td>${p.allow_leverage ? `up to ${p.max_leverage}x` : 'no'}</td>
                </tr>`,
            ),
            empty: 'No risk profiles are configured.',
          })}
          <form method="post" action="/ui/controls/profile" class="filters">
            ${csrf}${choice('profile', 'Profile', RiskProfileName.options, state.risk_profile)}
            <button type="submit">Set profile</button>
          </form>
        </section>
        <section aria-labelledby="h-leverage">
          <h2 id="h-leverage">Leverage</h2>
          ${
            state.leverage_enabled
              ? html`<p class="alarm">
                    LEVERAGE ACTIVE (up to ${high?.max_leverage ?? '?'}x): losses are multiplied too.
                  </p>
                  <form method="post" action="/ui/controls/leverage-off">
                    ${csrf}<button type="submit">Turn leverage off</button>
                  </form>`
              : state.risk_profile === 'high' && high?.allow_leverage
                ? html`<form method="post" action="/ui/controls/leverage-on">
                    ${csrf}<button type="submit" class="danger">Enable leverage (typed phrase and master PIN)</button>
                  </form>`
                : html`<p>
                    Off. Only the high profile may use it, once it allows leverage (<code>trader risk edit</code>).
                  </p>`
          }
        </section>
        ${optimiseSection(
          schedules.filter((x) => x.job === 'optimise'),
          requests,
          csrf,
        )}
        <section aria-labelledby="h-versions">
          <h2 id="h-versions">Strategy versions proposed by the optimiser</h2>
          ${
            versions.length === 0
              ? html`<p>None waiting.</p>`
              : versions.map((v) =>
                  versionReview(
                    v,
                    active.find((a) => a.strategy_id === v.strategy_id),
                    csrf,
                  ),
                )
          }
        </section>`,
    });
  });
  app.post('/ui/controls/:action', (c) => {
    const name = ActionName.safeParse(c.req.param('action'));
    if (!name.success)
      throw new TraderError('NOT_FOUND', `There is no control ${c.req.param('action')}; the controls page lists them.`);
    return act(c, deps, name.data);
  });
}
