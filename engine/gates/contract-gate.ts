import type { Evaluation } from './gate-harness.ts';
import { quote } from '../../core/quote.ts';

/**
 * The contract gate: with the whole sample history behind it, a module must return its
 * declared outputs, valid by their schemas, synchronously (not a Promise, not null), must
 * not throw, and must read only the context keys it declares. What a run would discard
 * or log as an error at every bar fails here, before the module can be activated.
 */

export type ContractBreach = 'throws' | 'output' | 'reads';

/** The breaches in one evaluation at `at` (an ISO time), each as one sentence saying what and when. */
export function contractBreaches(
  e: Evaluation,
  at: string,
  declaredInputs: readonly string[],
): { breach: ContractBreach; sentence: string }[] {
  const found: { breach: ContractBreach; sentence: string }[] = [];
  // Reading past the decision time is the look-ahead gate's finding, not a crash.
  if (e.status === 'error' && !e.lookahead)
    found.push({ breach: 'throws', sentence: `throws at ${at}: ${e.text.replace(/^error: /, '')}` });
  if (e.status === 'violation')
    found.push({
      breach: 'output',
      sentence: `breaks its output contract at ${at}: ${e.text.replace(/^violation: /, '')}`,
    });
  if (e.undeclaredReads.length > 0) {
    const keys = e.undeclaredReads.map((k) => `${quote(k)}`).join(', ');
    found.push({
      breach: 'reads',
      sentence: `reads ${keys} at ${at} without declaring ${e.undeclaredReads.length === 1 ? 'it' : 'them'} in input_keys (it declares ${declaredInputs.join(', ') || 'none'}); a run never gives a module keys it did not declare`,
    });
  }
  return found;
}
