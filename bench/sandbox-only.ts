// `npx tsx bench/sandbox-only.ts`: figure 9 alone (the module sandbox's cost) on PGlite, with the shipped
// default pipeline (seeded as `trader db seed` does), without the whole bench.
process.env.TRADER_LOG_LEVEL = 'warn';
const { importCandles, openBenchDb } = await import('./fixtures.ts');
const { migrate } = await import('../store/migrate.ts');
const { seedDefaults } = await import('../orchestrator/seed.ts');
const { measureSandboxCost } = await import('./sandbox-cost.ts');
const { renderTable } = await import('./stats.ts');
const b = await openBenchDb('pglite');
try {
  await migrate(b.db);
  await seedDefaults(b.db);
  await importCandles(b.db, 1);
  const rows = await measureSandboxCost(b.db, {
    passes: 300,
    barsFrom: 100,
    reps: 3,
    pipelineId: 'default',
    env: process.env,
  });
  process.stdout.write(`${renderTable(rows)}\n`);
} finally {
  await b.dispose();
}
