// Preloaded with `node --import` by bench/cold-start.ts (not in timed runs): records every
// module URL the process resolves or loads (ESM hooks) and, at exit, the CommonJS
// require.cache keys and process.resourceUsage().maxRSS, as lines in $BENCH_PROBE_OUT.
import fs from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.BENCH_PROBE_OUT;
if (!out) throw new Error('BENCH_PROBE_OUT is not set');
register('./load-probe-hooks.mjs', import.meta.url, { data: { out } });
process.on('exit', () => {
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  fs.appendFileSync(out, `${JSON.stringify({ exit: true, cjs, maxRSS_kb: process.resourceUsage().maxRSS })}\n`);
});
