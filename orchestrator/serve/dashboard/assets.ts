import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Hono } from 'hono';
import { packageRoot } from '../../../core/paths.ts';
import type { ServeEnv } from '../serve-env.ts';

/**
 * The dashboard's files, served from this machine (no CDN): its own stylesheet and
 * script, and the chart libraries as npm ships them, by name from a fixed list.
 */
const require = createRequire(import.meta.url);
/** A file of an npm package, found from its package.json (lightweight-charts exports no path to its dist/). */
const inPackage = (pkg: string, file: string) => () =>
  path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
const own = (file: string) => path.join(packageRoot, 'orchestrator', 'serve', 'dashboard', 'assets', file);

const files: Record<string, { locate: () => string; type: string }> = {
  'dashboard.css': { locate: () => own('dashboard.css'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { locate: () => own('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'charts.js': { locate: () => own('charts.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { locate: inPackage('uplot', 'dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { locate: inPackage('uplot', 'dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'lightweight-charts.js': {
    locate: inPackage('lightweight-charts', 'dist/lightweight-charts.standalone.production.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

// Read once per process: they change only with an upgrade.
const cache = new Map<string, Buffer>();

export function mountAssets(app: Hono<ServeEnv>): void {
  app.get('/ui/assets/:file', async (c) => {
    const name = c.req.param('file');
    const file = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!file) return c.notFound();
    let body = cache.get(name);
    if (!body) cache.set(name, (body = await fs.readFile(file.locate())));
    return c.body(new Uint8Array(body), 200, { 'content-type': file.type, 'cache-control': 'no-cache' });
  });
}
