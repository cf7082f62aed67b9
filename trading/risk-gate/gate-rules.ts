import { entryCost } from '../../sdk/entry-costs.ts';
import { maintenanceMarginRate } from '../../sdk/sizing.ts';
import { correlationCluster } from './cluster-rule.ts';
import { check, epsilon, pair, recomputedRisk } from './gate-measures.ts';
import type { GateInput, GateCheck } from './gate-types.ts';

export { epsilon, recomputedRisk } from './gate-measures.ts';

/**
 * The risk gate's rules, each a small pure function over the whole input. Every rule
 * is written so that a NaN or missing number fails it: a comparison with NaN is false,
 * and `ok` is always the comparison that must hold, never its negation.
 */
export type GateRule = (input: GateInput) => GateCheck;

const notHalted: GateRule = ({ purpose, state }) => {
  if (purpose === 'observe')
    return check('not_halted', true, 'observing only records the intent, so a halt does not stop it');
  const ok = state.halted === false && state.emergency === false;
  const why = state.emergency ? 'an emergency halt is active' : 'trading is halted';
  return check(
    'not_halted',
    ok,
    ok
      ? 'trading is not halted'
      : `${why}: nothing may be ${purpose === 'propose' ? 'proposed' : 'executed'} until the halt is cleared`,
  );
};

const modeAllows: GateRule = ({ purpose, approved, state }) => {
  const mode = state.operational_mode;
  if (purpose === 'observe') return check('mode_allows', true, 'recording an intent is allowed in every mode');
  if (purpose === 'propose') {
    const ok = mode === 'semi_auto';
    return check(
      'mode_allows',
      ok,
      ok ? 'semi_auto mode makes proposals' : `proposals are only made in semi_auto mode, not in ${mode}`,
    );
  }
  if (mode === 'full_auto') return check('mode_allows', true, 'full_auto mode executes trades');
  if (mode === 'semi_auto') {
    return check(
      'mode_allows',
      approved === true,
      approved === true ? 'a user approved this proposal' : 'semi_auto mode only executes proposals a user approved',
    );
  }
  return check('mode_allows', false, `${mode} mode never executes trades`);
};

const profileMatches: GateRule = ({ profile, state }) => {
  const ok = profile.profile === state.risk_profile;
  return check(
    'profile_matches',
    ok,
    ok
      ? `the limits are the active ${state.risk_profile} profile's`
      : `the limits given are the ${profile.profile} profile's but the active profile is ${state.risk_profile}`,
  );
};

const stopProtective: GateRule = ({ intent }) => {
  const buy = intent.side === 'buy';
  const ok = buy ? intent.stop < intent.entry : intent.stop > intent.entry;
  const where = buy ? 'below' : 'above';
  return check(
    'stop_protective',
    ok,
    `a ${intent.side}'s stop ${intent.stop} ${ok ? 'is' : 'must be'} ${where} its entry ${intent.entry}`,
  );
};

const riskPerTrade: GateRule = (input) => {
  const { profile, equity, intent } = input;
  if (!(equity > 0))
    return check(
      'risk_per_trade',
      false,
      `equity is ${equity}, so no trade's risk can be measured; nothing may be risked`,
    );
  const risk = recomputedRisk(input);
  const ok = risk.pct <= profile.risk_per_trade_pct + epsilon;
  const [r, limit] = pair(risk.pct, profile.risk_per_trade_pct);
  const claimed =
    Math.abs(intent.risk_pct - risk.pct) >= 0.005 ? ` (the intent claimed ${intent.risk_pct.toFixed(2)}%)` : '';
  return check(
    'risk_per_trade',
    ok,
    `risk ${r}% of equity${claimed} ${ok ? 'is within' : 'exceeds'} the ${profile.profile} profile limit of ${limit}%`,
  );
};

const maxOpenPositions: GateRule = ({ open_positions, profile }) => {
  const after = open_positions.length + 1;
  const ok = after <= profile.max_open_positions;
  return check(
    'max_open_positions',
    ok,
    `${after} open positions with this one ${ok ? 'is within' : 'exceeds'} the ${profile.profile} profile limit of ${profile.max_open_positions}`,
  );
};

const onePositionPerSymbol: GateRule = ({ open_positions, intent }) => {
  const ok = !open_positions.some((p) => p.symbol === intent.symbol);
  return check(
    'one_position_per_symbol',
    ok,
    ok
      ? `no position in ${intent.symbol} is open`
      : `a position in ${intent.symbol} is already open; only one per symbol`,
  );
};

const categoryCap: GateRule = (input) => {
  const { open_positions, category, equity, profile } = input;
  const open = open_positions.filter((p) => p.category === category).reduce((sum, p) => sum + p.risk_amount, 0);
  const total = ((open + recomputedRisk(input).amount) / equity) * 100;
  const ok = equity > 0 && total <= profile.category_cap_pct + epsilon;
  const [t, cap] = pair(total, profile.category_cap_pct);
  return check(
    'category_cap',
    ok,
    `risk in category ${category} would be ${t}% of equity, ${ok ? 'within' : 'over'} the cap of ${cap}%`,
  );
};

const drawdown: GateRule = ({ state, profile }) => {
  const ok = state.drawdown_pct < profile.max_drawdown_pct;
  const [d, max] = pair(state.drawdown_pct, profile.max_drawdown_pct);
  return check(
    'drawdown',
    ok,
    `drawdown ${d}% is ${ok ? 'below' : 'at or above'} the ${profile.profile} profile limit of ${max}%`,
  );
};

const leveragePermitted: GateRule = ({ intent, profile, state }) => {
  const l = intent.leverage;
  if (l === 1) return check('leverage_permitted', true, 'no leverage (1x)');
  if (!(l > 1)) return check('leverage_permitted', false, `leverage ${l} is not a factor of at least 1x`);
  const missing = [
    profile.profile === 'high' ? null : `the high profile (this is ${profile.profile})`,
    profile.allow_leverage ? null : 'allow_leverage in the profile',
    state.leverage_enabled ? null : 'leverage to be activated',
    l <= profile.max_leverage ? null : `at most the profile's max_leverage of ${profile.max_leverage}x`,
  ].filter((m): m is string => m !== null);
  return check(
    'leverage_permitted',
    missing.length === 0,
    missing.length ? `leverage ${l}x needs ${missing.join(', ')}` : `leverage ${l}x is allowed and activated`,
  );
};

const liquidationAfterStop: GateRule = ({ intent }) => {
  const l = intent.leverage;
  if (l === 1) return check('liquidation_after_stop', true, 'no leverage, so no liquidation price');
  const stopDistance = (Math.abs(intent.entry - intent.stop) / intent.entry) * 100;
  const liquidation = (1 / l - maintenanceMarginRate) * 100;
  const ok = stopDistance < liquidation;
  const [s, liq] = pair(stopDistance, liquidation);
  return check(
    'liquidation_after_stop',
    ok,
    ok
      ? `the stop ${s}% from entry fills before the approximate ${l}x liquidation ${liq}% away`
      : `the stop is ${s}% from entry but a ${l}x position is liquidated about ${liq}% away, before the stop could fill`,
  );
};

/** Margin and fee at worst-case slippage: the sizers' own measure (sdk/entry-costs.ts), so what they size fits. */
const margin: GateRule = ({ intent, fee_rate, slippage_rate, free_balance }) => {
  const required = entryCost(intent.qty, intent.entry, intent.leverage, { fee_rate, slippage_rate });
  const ok = required <= free_balance + epsilon;
  const [r, free] = pair(required, free_balance);
  const slipped =
    slippage_rate > 0 ? ` (at ${Number((slippage_rate * 1e4).toPrecision(6))} bps worst-case slippage)` : '';
  return check('margin', ok, `margin and fees of ${r}${slipped} ${ok ? 'fit' : 'exceed'} the free balance of ${free}`);
};

/**
 * LIVE's notional caps (trader live init): the order's notional, qty x entry recomputed
 * here, within the per-order cap, and with today's entries within the per-day cap. Exact
 * comparisons, no slack: a cap is a promise to the user.
 */
const liveNotionalCaps: GateRule = ({ purpose, intent, live_caps }) => {
  if (live_caps === undefined) return check('live_notional_caps', true, 'paper trading has no notional caps');
  if (purpose === 'observe') return check('live_notional_caps', true, 'observing places no order, so no cap applies');
  if (live_caps === null)
    return check('live_notional_caps', false, 'there is no LIVE account; run `trader live init` before any LIVE order');
  const notional = intent.qty * intent.entry;
  const perOrder = notional <= live_caps.max_order_notional;
  const perDay = live_caps.used_today + notional <= live_caps.max_daily_notional;
  const [n, cap] = pair(notional, live_caps.max_order_notional);
  const [day, dayCap] = pair(live_caps.used_today + notional, live_caps.max_daily_notional);
  return check(
    'live_notional_caps',
    perOrder && perDay,
    `notional ${n} is ${perOrder ? 'within' : 'over'} the per-order cap of ${cap}, and today's LIVE entries with it (${day}) are ${perDay ? 'within' : 'over'} the daily cap of ${dayCap}`,
  );
};

/** In the order a user reads them: may we act at all, is the trade sane, does it fit the limits. */
export const gateRules: readonly GateRule[] = [
  notHalted,
  modeAllows,
  profileMatches,
  stopProtective,
  riskPerTrade,
  maxOpenPositions,
  onePositionPerSymbol,
  categoryCap,
  correlationCluster,
  drawdown,
  leveragePermitted,
  liquidationAfterStop,
  margin,
  liveNotionalCaps,
];
