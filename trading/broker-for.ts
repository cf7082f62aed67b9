import { TraderError } from '../core/errors.ts';
import type { Broker } from './broker.ts';
import { paperBroker } from './paper/paper-broker.ts';
import type { TradingScope } from './scope.ts';

/**
 * The broker of a system mode. TEST fills on paper; LIVE would place real orders, and
 * until the live broker exists it refuses rather than pretending (LIVE runs Observe only).
 */
export function brokerFor(scope: TradingScope): Broker {
  if (scope.mode === 'TEST') return paperBroker(scope);
  throw new TraderError('CONFIG_INVALID', 'Live order execution is not available yet; LIVE runs in observe mode only.');
}
