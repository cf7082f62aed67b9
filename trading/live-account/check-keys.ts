import { TraderError } from '../../core/errors.ts';
import { loadCcxt } from '../../market/exchange/ccxt-loader.ts';
import { openExchangeSession } from '../../market/exchange/exchange-session.ts';
import type { ApiCredentials } from '../secrets/key-vault.ts';

/** One asset's balance on the exchange, as the account check found it. */
export interface AssetBalance {
  asset: string;
  total: number;
}

export interface KeyCheckTarget {
  exchange: string;
  /** The exchange's testnet through ccxt (setSandboxMode). */
  sandbox: boolean;
  /** Where TRADER_EXCHANGE_URL_<ID> / TRADER_EXCHANGE_URL are read (tests point ccxt at 127.0.0.1). */
  env?: NodeJS.ProcessEnv;
}

/** Non-zero totals of a ccxt balance, by asset. */
function totals(balance: Record<string, unknown>): AssetBalance[] {
  const total = (balance.total ?? {}) as Record<string, unknown>;
  return Object.entries(total)
    .map(([asset, v]) => ({ asset, total: Number(v) }))
    .filter((b) => Number.isFinite(b.total) && b.total > 0)
    .sort((a, b) => a.asset.localeCompare(b.asset));
}

/**
 * Checks API keys READ-ONLY: one signed balance query (ccxt fetchBalance), nothing that
 * could trade or withdraw. A refused key or signature is one sentence that names neither
 * the key nor the exchange's own message (which may echo it); an unreachable exchange is
 * TRANSIENT. Returns the balances, so the account starts from what the exchange holds.
 */
export async function checkKeysReadOnly(target: KeyCheckTarget, keys: ApiCredentials): Promise<AssetBalance[]> {
  const ccxt = await loadCcxt();
  const { ex } = await openExchangeSession(target.exchange, { sandbox: target.sandbox, env: target.env });
  ex.apiKey = keys.apiKey;
  ex.secret = keys.secret;
  const where = `${target.exchange}${target.sandbox ? ' (testnet)' : ''}`;
  try {
    return totals((await ex.fetchBalance()) as unknown as Record<string, unknown>);
  } catch (e) {
    if (
      e instanceof ccxt.AuthenticationError ||
      e instanceof ccxt.PermissionDenied ||
      e instanceof ccxt.AccountSuspended
    )
      throw new TraderError(
        'BAD_INPUT',
        `${where} refused the API key or its signature; check the key and secret (and that the key may read balances), then run \`trader live init\` again. Nothing was stored.`,
      );
    if (e instanceof ccxt.NetworkError || e instanceof ccxt.ExchangeNotAvailable)
      throw new TraderError(
        'TRANSIENT',
        `${where} could not be reached to check the API key; try again later. Nothing was stored.`,
      );
    throw new TraderError(
      'BAD_INPUT',
      `${where} did not accept the balance query that checks the API key (${e instanceof Error ? e.constructor.name : 'error'}); nothing was stored.`,
    );
  }
}
