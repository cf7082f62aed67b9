// `npm run bench`: measures orchestrator overhead, full runs and CLI cold starts on both
// backends and prints one table. The log level is set before any trader module (and so
// the logger) is imported, hence the dynamic import.
process.env.TRADER_LOG_LEVEL = 'warn';
const { main } = await import('./main.ts');
process.exitCode = await main();
