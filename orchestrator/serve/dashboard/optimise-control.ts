import { html } from 'hono/html';
import { z } from 'zod';
import type { RequestView } from '../../schedule/schedule-requests.ts';
import type { ScheduleRow } from '../../schedule/schedule-row.ts';
import { RiskProfileName } from '../../../trading/state-repo.ts';
import { when } from './format.ts';
import type { Html } from './layout.ts';
import { opt } from './filters.ts';
import { dataTable } from './table.ts';

/**
 * The seed's "Trigger Manual Optimization" with its target profile: a request the running
 * scheduler takes at its next wake (orchestrator/schedule/schedule-requests.ts), so a study
 * never runs inside the server; and what became of the newest requests, with the trials a
 * study has finished so far as its progress.
 */

export const OptimiseForm = z.object({ schedule: z.string().min(1).max(100), profile: opt(RiskProfileName) });

function outcome(r: RequestView) {
  if (!r.taken_at) return html`waiting for the scheduler`;
  const status = r.status ?? 'running';
  if (r.study_id) return html`${status}: <a href="/ui/studies/${r.study_id}">study</a>, ${r.trials} trial(s) finished`;
  if (r.run_id) return html`${status}: <a href="/ui/runs/${r.run_id}">run</a>`;
  return html`${status}`;
}

const studyLabel = (s: ScheduleRow) =>
  `${s.name ?? `schedule ${s.schedule_id}`}: ${s.job === 'optimise' ? s.job_args.strategies.join(', ') : ''} on ${s.symbols.join(', ')}`;

export function optimiseSection(studies: readonly ScheduleRow[], requests: readonly RequestView[], csrf: Html) {
  return html`<section aria-labelledby="h-optimise">
    <h2 id="h-optimise">Optimisation</h2>
    ${
      studies.length === 0
        ? html`<p>
            No optimisation schedule in this mode. Add one with
            <code>trader schedule add "0 2 * * 0" --job optimise --strategy breakout --symbols BTC/USDT</code>; then it
            can also be run from here.
          </p>`
        : html`<form method="post" action="/ui/controls/optimise" class="filters">
              ${csrf}<label for="optimise-schedule">Study</label>
              <select id="optimise-schedule" name="schedule">
                ${studies.map((s) => html`<option value="${s.schedule_id}">${studyLabel(s)}</option>`)}
              </select>
              <label for="optimise-profile">For the profile</label>
              <select id="optimise-profile" name="profile">
                <option value="">as scheduled</option>
                ${RiskProfileName.options.map((p) => html`<option>${p}</option>`)}
              </select>
              <button type="submit">Run now</button>
            </form>
            <p>The running scheduler (<code>trader schedule run</code>) takes the request within a minute.</p>`
    }
    ${dataTable({
      headers: ['Requested', 'By', 'Schedule', 'Profile', 'Outcome'],
      rows: requests.map(
        (r) =>
          html`<tr>
            <td>${when(r.requested_at)}</td>
            <td>${r.requested_by}</td>
            <td>${r.name ?? `schedule ${r.schedule_id}`} (${r.job})</td>
            <td>${r.profile ?? 'as scheduled'}</td>
            <td>${outcome(r)}</td>
          </tr>`,
      ),
      empty: 'No run requested yet.',
    })}
  </section>`;
}
