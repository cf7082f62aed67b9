import { html } from 'hono/html';
import { z } from 'zod';
import { queryRows, type Queryable } from '../../../store/db.ts';
import type { SystemMode } from '../../../trading/scope.ts';
import { when } from './format.ts';
import { operationHealth, type OperationHealth } from '../../backup/operation-health.ts';

/**
 * The seed's "System Status Summary" on the overview: since when this server runs, the
 * newest candle stored (what the last fetch brought), the last backup (loud when the newest
 * one failed), and the newest optimisation of this mode with its state. The last run is in the status bar on every page.
 */

/** When this process started: the server's uptime is counted from here. */
const processStarted = new Date(Date.now() - process.uptime() * 1000);

const Summary = z.object({
  newest_candle: z.date().nullable(),
  study_id: z.string().nullable(),
  study_status: z.string().nullable(),
  study_at: z.date().nullable(),
});
type Summary = z.infer<typeof Summary> & { backup: OperationHealth };

export async function systemSummary(q: Queryable, mode: SystemMode): Promise<Summary> {
  const [row] = await queryRows(
    q,
    Summary,
    `select (select max(ts) from candles) as newest_candle, s.study_id::text as study_id, s.status as study_status,
            s.updated_at as study_at
     from (select 1) one left join lateral (select study_id, status, updated_at from optimiser_studies
       where system_mode = $1 order by created_at desc limit 1) s on true`,
    [mode],
  );
  return { ...row!, backup: await operationHealth(q, 'BACKUP_RUN') };
}

/** The last backup, or its failure while no later one succeeded (`trader status` shows the same). */
function backupFact(b: OperationHealth) {
  const good = b.last_success ? when(b.last_success.at) : 'none yet';
  if (b.failing)
    return html`<dd class="warn">FAILED ${when(b.failing.at)}: ${b.failing.error} (last good: ${good})</dd>`;
  return html`<dd>${good}${b.last_success ? '' : html` (<code>trader backup</code>)`}</dd>`;
}

export const systemSummarySection = (s: Summary) =>
  html`<dl class="facts">
    <dt>Server up since</dt>
    <dd>${when(processStarted)}</dd>
    <dt>Newest candle stored</dt>
    <dd>
      ${s.newest_candle ? when(s.newest_candle) : 'none yet'} (<a href="/ui/system#h-data">data health per market</a>)
    </dd>
    <dt>Last backup</dt>
    ${backupFact(s.backup)}
    <dt>Last optimisation</dt>
    <dd>
      ${
        s.study_id
          ? html`<a href="/ui/studies/${s.study_id}">${s.study_status}</a>, ${when(s.study_at)}`
          : html`none yet (<a href="/ui/controls#h-optimise">run one</a>)`
      }
    </dd>
  </dl>`;
