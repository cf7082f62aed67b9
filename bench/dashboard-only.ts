// `npm run bench:dashboard`: only the dashboard's page times (figure 14 of `npm run bench`), on both backends.
process.env.TRADER_LOG_LEVEL = 'warn';
const { dashboardRows } = await import('./dashboard-figure.ts');
const { renderTable } = await import('./stats.ts');
process.stdout.write(`${renderTable(await dashboardRows())}\n`);
