import { type CliBackend, freshTarget, ok, sampleCsv, type Target, templateTarget } from './cli.ts';
import { sharedTemplate, type TemplateRef } from './templates.ts';

export interface DemoSteps {
  seed?: boolean;
  data?: boolean;
}

/** The demo's set-up through the CLI: migrate, seed, import the BTC and ETH samples. */
async function buildDemo(t: Target, steps: DemoSteps): Promise<void> {
  await ok(t, 'db', 'migrate');
  if (steps.seed ?? true) await ok(t, 'db', 'seed');
  if (steps.data ?? true) {
    for (const base of ['BTC', 'ETH'] as const) {
      await ok(
        t,
        'data',
        'import',
        sampleCsv(base),
        '--exchange',
        'binance',
        '--symbol',
        `${base}/USDT`,
        '--timeframe',
        '1h',
      );
    }
  }
}

/** The demo's database of the given kind and steps, set up through the CLI once per test run. */
function demoTemplate(kind: CliBackend, steps: DemoSteps): Promise<TemplateRef> {
  const key = `cli-demo-${kind}-${(steps.seed ?? true) ? 'seed' : 'bare'}-${(steps.data ?? true) ? 'data' : 'nodata'}`;
  return sharedTemplate(key, async () => {
    const built = await freshTarget(kind);
    try {
      await buildDemo(built, steps);
    } finally {
      await built.sql?.end();
    }
    return built.kind === 'pglite' ? { home: built.home! } : { database: new URL(built.url!).pathname.slice(1) };
  });
}

/**
 * Gives `t` the demo's database: migrated, seeded (unless `seed: false`), BTC and ETH
 * imported (unless `data: false`). The set-up runs through the CLI once per test run,
 * backend and steps; `t` gets a copy.
 */
export async function prepareDemo(t: Target, steps: DemoSteps = {}): Promise<void> {
  await t.restoreFrom(await demoTemplate(t.kind, steps));
}

/** A new database of the given kind holding the demo's (see prepareDemo), copied straight from the template. */
export async function demoTarget(kind: CliBackend, steps: DemoSteps = {}): Promise<Target> {
  return templateTarget(kind, await demoTemplate(kind, steps));
}
