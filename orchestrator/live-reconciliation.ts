import type { Db } from '../store/db.ts';
import type { LiveKeys } from '../trading/live-account/unlock.ts';
import { type LiveReconciler, processReconciler, startupCheck } from '../trading/live/reconcile/reconcile-service.ts';
import { sleepUnlessAborted } from './schedule/scheduler-loop.ts';

/**
 * How `trader serve` and `trader schedule run` reconcile: with the keys they unlocked at
 * start (none in TEST, or in LIVE without an account: nothing to do), the startup check
 * first (audit trail, then one cycle), then a cycle every TRADER_RECONCILE_SECONDS while
 * LIVE holds open positions or orders.
 */
export async function liveServiceReconciler(
  db: Db,
  keys: LiveKeys | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LiveReconciler | null> {
  if (!keys) return null;
  const reconciler = processReconciler(keys, env);
  await startupCheck(db, reconciler);
  return reconciler;
}

/** Serve's loop: wakes every interval until `signal` aborts, reconciling when due. */
export async function reconcileEvery(db: Db, reconciler: LiveReconciler, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await sleepUnlessAborted(reconciler.intervalMs, signal);
    if (!signal.aborted) await reconciler.ifDue(db);
  }
}
