import type { Db } from '../../store/db.ts';
import { type InstrumentRow, upsertInstruments } from '../instruments-repo.ts';
import { type CcxtExchange, loadCcxt, marketsLoader } from './ccxt-loader.ts';
import { type RetryDeps, type RetryPolicy, withRetry } from './retry.ts';
import { limitFor, localGate, type RateGate } from './rate-gate.ts';

const stablecoins = new Set(['USDT', 'USDC', 'BUSD', 'DAI', 'TUSD', 'FDUSD', 'USDP', 'PYUSD']);
const majors = new Set(['BTC', 'ETH']);

/** A coarse category for caps and filters; asset_config can say otherwise per symbol. */
export function categoryOf(base: string): string {
  if (stablecoins.has(base)) return 'stable';
  return majors.has(base) ? 'major' : 'alt';
}

/** Decimals of a power-of-ten step (0.01 → 2); null when the step is not one. */
function decimalsOf(step: number): number | null {
  const d = Math.round(-Math.log10(step));
  return Math.abs(10 ** -d - step) < step * 1e-9 ? Math.max(0, d) : null;
}

interface CcxtMarket {
  symbol: string;
  base: string;
  quote: string;
  spot?: boolean;
  active?: boolean | null;
  precision: { price?: number | null; amount?: number | null };
  limits: { amount?: { min?: number | null }; cost?: { min?: number | null } };
}

/** ccxt reports precision as a tick size or as decimals depending on the exchange; we store both. */
export async function toInstrument(ex: CcxtExchange, m: CcxtMarket): Promise<InstrumentRow> {
  const ccxt = await loadCcxt();
  const tickMode = ex.precisionMode === ccxt.functions.TICK_SIZE;
  const asStep = (p: number | null | undefined) => (p == null ? null : tickMode ? p : 10 ** -p);
  const asDecimals = (p: number | null | undefined) => (p == null ? null : tickMode ? decimalsOf(p) : p);
  return {
    exchange: ex.id,
    symbol: m.symbol,
    base: m.base,
    quote: m.quote,
    category: categoryOf(m.base),
    price_precision: asDecimals(m.precision.price),
    amount_precision: asDecimals(m.precision.amount),
    tick_size: asStep(m.precision.price),
    min_qty: m.limits.amount?.min ?? null,
    min_notional: m.limits.cost?.min ?? null,
  };
}

/** Loads the exchange's spot markets and stores their metadata in one transaction. */
export async function syncMarkets(
  db: Db,
  ex: CcxtExchange,
  policy: RetryPolicy,
  deps: Pick<RetryDeps, 'classify' | 'sleep' | 'onRetry'> & { gate?: RateGate },
): Promise<InstrumentRow[]> {
  const markets = await withRetry(`loading ${ex.id} markets`, marketsLoader(ex, true), policy, {
    ...deps,
    limit: limitFor(deps.gate ?? localGate, ex.id, 'exchangeInfo'),
  });
  const spot = (Object.values(markets) as unknown as CcxtMarket[]).filter(
    (m) => m.spot !== false && m.active !== false,
  );
  const rows = await Promise.all(spot.map((m) => toInstrument(ex, m)));
  await db.transaction((tx) => upsertInstruments(tx, rows));
  return rows;
}
