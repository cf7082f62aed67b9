import { TraderError } from '../core/errors.ts';
import { interruptSandboxes } from './sandbox.ts';

/**
 * SIGTERM and SIGINT for long-running commands (run, backtest, data fetch, serve, schedule
 * run): the first signal interrupts module code in every sandbox at once, and loops
 * between steps (symbols of a run, bars of a backtest, pages of a download) ask
 * `throwIfStopping` before each step, so the work ends at a step boundary with its
 * transaction-sized writes whole and its run closed as failed; the command then exits
 * with 143. Whatever is still busy after GRACE_MS (a query or request that does not
 * return) is abandoned: the process exits with 143 anyway, within 5 s of the signal.
 */

export const STOP_EXIT_CODE = 143;
const GRACE_MS = 4_000;

let stopping: string | null = null;

export function requestStop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = `stopped by ${signal} before it finished; nothing was half-written`;
  interruptSandboxes(stopping);
  setTimeout(() => {
    process.stderr.write(
      `trader: stopped by ${signal}; work still busy ${GRACE_MS / 1000} s later was abandoned (a run left running is reaped as crashed).\n`,
    );
    process.exit(STOP_EXIT_CODE);
  }, GRACE_MS).unref();
}

export function stopRequested(): boolean {
  return stopping !== null;
}

export function throwIfStopping(): void {
  if (stopping) throw new TraderError('INTERRUPTED', stopping);
}

/** Makes SIGTERM and SIGINT stop the work cooperatively while `fn` runs (a second signal exits at once). */
export async function stoppable<T>(fn: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(STOP_EXIT_CODE);
    requestStop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    return await fn();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
