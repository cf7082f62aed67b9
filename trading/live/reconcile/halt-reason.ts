/**
 * The halt reason reconciliation writes into trading_live.state when a difference cannot be
 * explained. `trader resume` refuses it: only `trader reconcile --accept` (master PIN) lifts it.
 */
export const reconciliationHaltPrefix = 'RECONCILIATION';

export function isReconciliationHalt(reason: string | null): boolean {
  return reason?.startsWith(reconciliationHaltPrefix) ?? false;
}
