import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import type { Db, Queryable } from '../../store/db.ts';
import {
  askVerifiedPin,
  auditUserAction,
  refusedOnError,
  typedPhraseOrRefuse,
  type Ask,
} from '../governance/user-action.ts';
import { tradingScope, tradingTx } from '../scope.ts';
import { checkExchange, findApiKey, insertSealedKey, sealApiKey, alreadyExists } from '../secrets/key-vault.ts';
import { loadState } from '../state-repo.ts';
import { openExchange } from '../../market/exchange/ccxt-loader.ts';
import { assertPinSet } from '../secrets/pin.ts';
import { type AssetBalance, checkKeysReadOnly } from './check-keys.ts';
import { checkCaps, type LiveAccount, loadLiveAccount } from './live-account-repo.ts';

/**
 * `trader live init`: the one way a LIVE account comes to exist. In order: the typed risk
 * acknowledgement, the master PIN, the API key and secret (asked, never taken from argv),
 * a read-only check of the keys against the exchange, then ONE transaction as trader_live
 * that stores the key encrypted, writes the account row with its caps and the balances the
 * exchange reported, and audits it. A refusal at any step writes nothing but its audit row.
 */

export const liveRiskPhrase = 'I ACCEPT THE RISK OF LIVE TRADING';

export function liveRiskWarning(exchange: string, sandbox: boolean): string {
  return [
    `!!! LIVE TRADING ON ${exchange.toUpperCase()}${sandbox ? ' (TESTNET)' : ''} !!!`,
    'trader will place real orders with your API key: losses are real money and cannot be undone.',
    'Strategies that did well in backtests can lose in the market; prices can gap past a stop.',
    'An exchange outage, a bug or a network failure can leave an order or a position unmanaged.',
    'Use a key without withdrawal permission, and only money you can afford to lose.',
    'The caps you set bound each order and each UTC day; the first order of every pipeline waits for your approval.',
  ].join('\n');
}

export interface LiveInitInput {
  exchange: string;
  sandbox: boolean;
  max_order_notional: number;
  max_daily_notional: number;
  /** Replace an existing account's keys and caps (and ask for every pipeline's first approval again). */
  replace: boolean;
  /** Where exchange URL overrides are read (TRADER_EXCHANGE_URL_<ID>). */
  env?: NodeJS.ProcessEnv;
}

/** Asks what `live init` needs: the phrase and PIN like any governance action, and the two key parts. */
export type LiveInitAsk = Pick<Ask, 'phrase' | 'pin'> & { secret(label: string): Promise<string> };

export interface LiveInitResult {
  account: LiveAccount;
  replaced: boolean;
  balances: AssetBalance[];
}

/** The vault name of the LIVE account's key on `exchange`. */
export function liveKeyName(exchange: string): string {
  return `live-${exchange.replaceAll('_', '-')}`;
}

const live = tradingScope('LIVE');

function alreadyInitialised(a: LiveAccount): TraderError {
  return new TraderError(
    'CONFIG_INVALID',
    `A LIVE account on ${a.exchange} exists since ${a.initialised_at.toISOString()}; run \`trader live init --replace\` to replace its keys and caps.`,
  );
}

/**
 * Refusals that need no question: a bad exchange id or cap, an exchange ccxt does not know
 * (or without a testnet for --sandbox), no master PIN, an existing account without
 * --replace, a taken key name.
 */
async function precheck(db: Db, input: LiveInitInput): Promise<void> {
  checkExchange(input.exchange);
  checkCaps(input);
  await openExchange(input.exchange, { sandbox: input.sandbox });
  await assertPinSet(db);
  const existing = await tradingTx(db, live, loadLiveAccount);
  if (existing && !input.replace) throw alreadyInitialised(existing);
  const name = liveKeyName(input.exchange);
  if (!existing && (await findApiKey(db, name))) throw alreadyExists(name);
}

async function writeAccount(
  tx: Queryable,
  input: LiveInitInput,
  o: { key_name: string; balances: AssetBalance[] },
): Promise<LiveAccount> {
  const existing = await loadLiveAccount(tx);
  if (existing && !input.replace) throw alreadyInitialised(existing);
  if (existing) {
    await tx.query('delete from trading_live.account where id = 1');
    await tx.query('delete from trading_live.first_order_approvals');
    await tx.query('delete from api_keys where name = $1 or name = $2', [existing.key_name, o.key_name]);
  }
  await tx.query(
    `insert into trading_live.account (exchange, api_key_name, sandbox, max_order_notional, max_daily_notional, acknowledged_phrase)
     values ($1, $2, $3, $4, $5, $6)`,
    [input.exchange, o.key_name, input.sandbox, input.max_order_notional, input.max_daily_notional, liveRiskPhrase],
  );
  for (const b of o.balances)
    await tx.query(
      `insert into trading_live.wallets (asset, balance) values ($1, $2)
       on conflict (asset) do update set balance = excluded.balance, updated_at = now()`,
      [b.asset, b.total],
    );
  return (await loadLiveAccount(tx))!;
}

export async function initLiveAccount(db: Db, input: LiveInitInput, ask: LiveInitAsk): Promise<LiveInitResult> {
  await precheck(db, input);
  const { risk_profile } = await tradingTx(db, live, (tx) => loadState(tx, live));
  const attempt = { action_type: 'LIVE_INIT_ATTEMPT', details: { exchange: input.exchange, sandbox: input.sandbox } };
  await typedPhraseOrRefuse(
    db,
    live,
    risk_profile,
    ask,
    { warning: liveRiskWarning(input.exchange, input.sandbox), phrase: liveRiskPhrase },
    { ...attempt, details: { ...attempt.details, stage: 'phrase' } },
    new TraderError(
      'BAD_INPUT',
      `The phrase did not match; type ${liveRiskPhrase} exactly to go live. Nothing was stored.`,
    ),
  );
  let pin = '';
  await askVerifiedPin(db, { pin: async () => (pin = await ask.pin()) }, `live init ${input.exchange}`);
  const key_name = liveKeyName(input.exchange);
  const keys = {
    exchange: input.exchange,
    apiKey: await ask.secret('API key'),
    secret: await ask.secret('API secret'),
  };
  // Sealing first refuses an empty key or secret before anything goes to the exchange.
  const sealed = await sealApiKey(pin, { name: key_name, ...keys });
  const balances = await refusedOnError(
    db,
    live,
    risk_profile,
    { ...attempt, details: { ...attempt.details, stage: 'keys' } },
    () => checkKeysReadOnly(input, keys),
  );
  return tradingTx(db, live, async (tx) => {
    const replaced = (await loadLiveAccount(tx)) !== undefined;
    const account = await writeAccount(tx, input, { key_name, balances });
    await insertSealedKey(tx, sealed);
    await auditUserAction(tx, live, risk_profile, 'LIVE_ACCOUNT_INITIALISED', 'SUCCESS', {
      exchange: account.exchange,
      sandbox: account.sandbox,
      key_name,
      max_order_notional: account.max_order_notional,
      max_daily_notional: account.max_daily_notional,
      confirmation_text: liveRiskPhrase,
      replaced,
      assets: balances.map((b) => b.asset),
    });
    return { account, replaced, balances };
  });
}

export function describeInit(r: LiveInitResult): string {
  const a = r.account;
  return [
    `LIVE account ${r.replaced ? 'replaced' : 'initialised'} on ${a.exchange}${a.sandbox ? ' (testnet)' : ''}; API key stored encrypted as ${quote(a.key_name)}.`,
    `Caps: ${a.max_order_notional} per order, ${a.max_daily_notional} per UTC day (quote currency).`,
    'The first LIVE order of every pipeline waits for your approval (`trader proposals approve`), even in full_auto.',
  ].join('\n');
}
