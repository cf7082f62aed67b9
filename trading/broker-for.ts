import { TraderError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import type { Broker } from './broker.ts';
import type { Ask } from './governance/user-action.ts';
import { heldLiveKeys, unlockWithPin } from './live-account/unlock.ts';
import { loadLiveAccount, noLiveAccount } from './live-account/live-account-repo.ts';
import { openLivePort } from './live/live-port.ts';
import type { ExchangePort } from './live/exchange-port.ts';
import { type LiveBroker, liveBroker } from './live/live-broker.ts';
import { paperBroker } from './paper/paper-broker.ts';
import { tradingScope, tradingTx, type TradingScope } from './scope.ts';

/**
 * The broker of a system mode. TEST fills on paper, in the caller's transaction. LIVE
 * orders go to the exchange through the live broker (liveBrokerFor), which records an
 * order in the caller's transaction and sends it only after that transaction committed,
 * so it is not a Broker of this synchronous kind.
 */
export function brokerFor(scope: TradingScope): Broker {
  if (scope.mode === 'TEST') return paperBroker(scope);
  throw new TraderError(
    'CONFIG_INVALID',
    'LIVE orders go to the exchange through the live broker, after the transaction that decided them; this path only fills paper orders.',
  );
}

const live = tradingScope('LIVE');

/**
 * The live broker of the LIVE account, signing with the keys this process unlocked
 * (trading/live-account/unlock.ts). Refuses in one sentence without an account or keys.
 * `port` replaces the ccxt adapter (tests pass one pointed at the simulator).
 */
export async function liveBrokerFor(
  db: Db,
  o: { port?: ExchangePort; env?: NodeJS.ProcessEnv } = {},
): Promise<LiveBroker> {
  const account = await tradingTx(db, live, loadLiveAccount);
  if (!account) throw noLiveAccount();
  if (o.port) return liveBroker(live, o.port);
  const keys = heldLiveKeys();
  if (!keys || keys.account.key_name !== account.key_name)
    throw new TraderError(
      'CONFIG_INVALID',
      'The LIVE keys are locked; a command that trades asks the master PIN, and serve or schedule run opens them with the key file (`trader live key-file`).',
    );
  return liveBroker(live, await openLivePort(keys, o.env));
}

/**
 * The live broker for an order a person asked for (`trader live close`, PANIC): the master
 * PIN every time, even while this process holds the keys, then the broker.
 */
export async function liveBrokerWithPin(
  db: Db,
  ask: Pick<Ask, 'pin'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LiveBroker> {
  await unlockWithPin(db, ask);
  return liveBrokerFor(db, { env });
}
