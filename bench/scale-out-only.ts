// Figures 17 to 19 of `npm run bench` alone: a 1,000-symbol tick and a 500-trial study on 1, 2 and 4 workers, and the queue's cost per job.
process.env.TRADER_LOG_LEVEL = 'warn';
const { measureScaleOut } = await import('./scale-out-figure.ts');
const { measureDistributedStudy } = await import('./distributed-study-figure.ts');
const { renderTable } = await import('./stats.ts');
const open = new Set<Awaited<ReturnType<typeof import('./fixtures.ts').openBenchDb>>>();
try {
  const tick = await measureScaleOut(open);
  const studies = await measureDistributedStudy(open);
  const rows = [...tick.rows, ...studies.rows];
  const notes = [...tick.notes, ...studies.notes];
  process.stdout.write(`${renderTable(rows)}\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
} finally {
  for (const b of open) await b.dispose();
}
