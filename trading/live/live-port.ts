import type { LiveKeys } from '../live-account/unlock.ts';
import { openCcxtSpotPort } from './ccxt-spot-port.ts';
import type { ExchangePort } from './exchange-port.ts';

/** The exchange port of the LIVE account, signed with the keys this process unlocked. */
export function openLivePort(keys: LiveKeys, env: NodeJS.ProcessEnv = process.env): Promise<ExchangePort> {
  return openCcxtSpotPort(keys.account.exchange, {
    credentials: { apiKey: keys.credentials.apiKey, secret: keys.credentials.secret },
    sandbox: keys.account.sandbox,
    env,
  });
}
