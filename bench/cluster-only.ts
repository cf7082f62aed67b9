// Figure 16 of `npm run bench` alone: the correlated-cluster rule off and on over six real markets.
process.env.TRADER_LOG_LEVEL = 'warn';
const { measureClusterFigure } = await import('./cluster-figure.ts');
const { renderTable } = await import('./stats.ts');
const open = new Set<Awaited<ReturnType<typeof import('./fixtures.ts').openBenchDb>>>();
try {
  const figure = await measureClusterFigure(open);
  process.stdout.write(
    figure ? `${renderTable(figure.rows)}\n- ${figure.note}\n` : 'figure 16 skipped: ../shared/data is absent\n',
  );
} finally {
  for (const b of open) await b.dispose();
}
