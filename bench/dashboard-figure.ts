import type { BackendKind } from '../store/db.ts';
import { dashboardVolumes, measureDashboardPages } from './dashboard-pages.ts';
import { importCandles, migrateAndSeed, openBenchDb } from './fixtures.ts';
import { type Row, fmt, median, spread } from './stats.ts';

const PAGES = { reps: 15, warmup: 3 };
const target = 200;

/** Figure 14: each dashboard page's time at 100k audit rows, 10k runs and 50 backtests, on both backends. */
export async function dashboardRows(kinds: BackendKind[] = ['pglite', 'postgres']): Promise<Row[]> {
  const rows: Row[] = [];
  for (const kind of kinds) {
    const b = await openBenchDb(kind);
    try {
      await migrateAndSeed(b.db);
      await importCandles(b.db, 1);
      const label = kind === 'pglite' ? 'PGlite (temp dir)' : 'Postgres (fresh DB)';
      for (const p of await measureDashboardPages(b.db, PAGES.reps, PAGES.warmup)) {
        const m = median(p.ms);
        rows.push({
          figure: `14. dashboard ${p.page.length > 48 ? `${p.page.slice(0, 45)}...` : p.page}`,
          backend: label,
          median: `${fmt(m)} ms`,
          range: spread(p.ms),
          reps: `${PAGES.reps} GETs (${PAGES.warmup} warm-up)`,
          notes: `target < ${target} ms: ${m < target ? 'met' : 'MISSED'}; ${Math.round(p.bytes / 1024)} KiB; ${dashboardVolumes.audit} audit rows, ${dashboardVolumes.runs} runs, ${dashboardVolumes.backtests} backtests`,
        });
      }
    } finally {
      await b.dispose();
    }
  }
  return rows;
}
