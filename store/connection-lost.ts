/**
 * Whether an error means the database connection was lost or refused (a restart, a
 * failover, a network cut) rather than that a statement failed: long-running processes
 * (workers, a run's waiter) wait and try again on these, and stop on anything else.
 */
const lostCodes = new Set([
  // Node's sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // Postgres: admin or crash shutdown, cannot connect now, connection failure
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

export function isConnectionLost(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && lostCodes.has(code)) return true;
  const message = e instanceof Error ? e.message : '';
  // pg's pool: "Connection terminated unexpectedly" and "Connection terminated due to connection timeout" carry no code.
  return /Connection terminated|the database system is (starting up|shutting down|in recovery mode)/i.test(message);
}
