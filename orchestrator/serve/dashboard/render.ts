import type { ServerDeps } from '../route-types.ts';
import { page, type PageContent } from './layout.ts';
import type { DashboardContext } from './session-guard.ts';
import { loadStatusBar } from './status-bar.ts';

/** A signed-in page: its body inside the layout, with the status bar read now. */
export async function render(c: DashboardContext, deps: ServerDeps, o: PageContent): Promise<Response> {
  const status = await loadStatusBar(deps.db, deps.scope, deps.clock(), deps.env);
  return c.html(page({ ...o, session: c.get('session'), status }));
}
