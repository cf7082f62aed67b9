/** ccxt exchange ids: lowercase, so 'Binance' and 'binance' never become two markets. */
export const exchangeId = /^[a-z][a-z0-9_]{0,39}$/;
