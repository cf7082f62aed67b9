import {
  barsSince,
  barsText,
  adxScore,
  agentParams,
  blendHalves,
  defineManifest,
  fixed as f,
  type ModuleRun,
  noSignal,
  notEnoughData,
  px,
  riskAndTargetsValid,
  rMultiplesText,
  rTargets,
  sortedR,
  z,
} from '../../sdk/index.ts';

/**
 * Re-entry after a stopped trade when the setup re-confirms.
 *
 * Takes this symbol's newest closed position (positions.recent_closed by closed_at). It must
 * have been closed by its stop (close_reason 'stop_loss') at most `max_bars_since_stop` bars ago,
 * where bars since = the candles whose open time is at or after closed_at; and no position on
 * this symbol may be open now (positions.open). The setup re-confirms, for a stopped long, when
 * market_state.trend is 'up' and the last close is back above the stopped position's entry
 * (a stopped short: trend 'down' and the last close below its entry). The signal takes the
 * stopped position's direction: the account could open it, so a short is not gated here.
 *
 * Entry = last close. Stop = entry - stop_atr_mult x ATR (long; + for a short), ATR =
 * volatility.atr. R = |entry - stop|; targets = entry ± r x R for each r in `targets_r`
 * (sorted); rr = the first r.
 *
 * confidence = 0.5 x min(1, ADX / full_adx) + 0.5 x min(1, reclaim / full_reclaim_atr), where
 * reclaim = how far the last close is beyond the stopped entry, in ATRs; i.e. half trend
 * strength, half how decisively price took the old entry back. Clamped to 0..1.
 */
export const manifest = defineManifest({
  module_id: 'reentry_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description:
    'Re-enters in the direction of a recently stopped-out trade on this symbol once the trend agrees again and price is back beyond the stopped entry; ATR stop, R-multiple targets.',
  input_keys: ['positions', 'candles', 'volatility', 'market_state', 'symbol'],
  output_keys: ['signals'],
  params: z
    .object({
      max_bars_since_stop: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(24)
        .describe('the stop-out must be at most this many candles ago (candles opened at or after closed_at)'),
      stop_atr_mult: z.number().positive().max(10).default(1.5).describe('stop distance from the entry, in ATRs'),
      targets_r: agentParams.targetsR(),
      full_reclaim_atr: z
        .number()
        .positive()
        .max(10)
        .default(1)
        .describe('close beyond the stopped entry, in ATRs, that earns the full reclaim half of the confidence'),
      full_adx: agentParams.fullAdx(),
    })
    .strict(),
});

type Signal = {
  direction: 'long' | 'short';
  setup: string;
  entry: number;
  stop: number;
  targets: number[];
  rr: number;
  confidence: number;
};

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const sym = view.symbol;
  const { close, ts } = view.candles;
  const n = close.length;
  if (n < 1) return noSignal(notEnoughData(1, 0, 'the last close'));

  const closed = view.positions.recent_closed
    .filter((p) => p.symbol === sym)
    .map((p) => ({ p, t: Date.parse(p.closed_at) }))
    .sort((a, b) => b.t - a.t || b.p.position_id - a.p.position_id);
  const newest = closed[0];
  if (!newest) return noSignal(`no closed position on ${sym} in the history, so nothing to re-enter`);
  const sp = newest.p;
  const spText = `${sym} ${sp.side} #${sp.position_id} (entry ${px(sp.entry)})`;
  if (sp.close_reason !== 'stop_loss') {
    return noSignal(
      `the newest closed ${spText} closed at ${sp.closed_at} by ${sp.close_reason ?? 'an unknown reason'}, not by its stop (stop_loss)`,
    );
  }

  const since = barsSince(ts, newest.t);
  if (since.predates) {
    return noSignal(
      `${spText} was stopped at ${sp.closed_at}, before the first candle in view (at least ${barsText(since.count)} ago), so it is not known to be within max_bars_since_stop ${params.max_bars_since_stop}`,
    );
  }
  if (since.count > params.max_bars_since_stop) {
    return noSignal(
      `${spText} was stopped at ${sp.closed_at}, ${barsText(since.count)} ago, more than max_bars_since_stop ${params.max_bars_since_stop}`,
    );
  }
  const stopped = `${spText} stopped at ${sp.closed_at}, ${barsText(since.count)} ago (max ${params.max_bars_since_stop})`;

  const open = view.positions.open.filter((p) => p.symbol === sym);
  if (open.length > 0) {
    const list = open.map((p) => `#${p.position_id} ${p.side} ${p.qty} @ ${px(p.entry)}`).join(', ');
    return noSignal(`${stopped}, but a position on ${sym} is already open (${list})`);
  }

  const atr = view.volatility.atr;
  if (!(atr > 0)) return noSignal(`${stopped}, but ATR is ${atr}, so no ATR stop can be set`);

  const direction = sp.side;
  const sign = direction === 'long' ? 1 : -1;
  const { trend, adx } = view.market_state;
  const c = close[n - 1]!;
  const wanted = direction === 'long' ? 'up' : 'down';
  const reclaim = (sign * (c - sp.entry)) / atr; // in ATRs, > 0 once price is back beyond the entry
  const side = direction === 'long' ? 'above' : 'below';
  const missing: string[] = [];
  if (trend !== wanted) missing.push(`the trend is ${trend}, a ${direction} re-entry needs ${wanted}`);
  if (!(reclaim > 0))
    missing.push(`the last close ${px(c)} is not back ${side} the stopped entry ${px(sp.entry)} (${f(reclaim)} ATR)`);
  if (missing.length > 0) return noSignal(`${stopped}, but the setup has not re-confirmed: ${missing.join('; ')}`);

  const rs = sortedR(params.targets_r);
  const stop = c - sign * params.stop_atr_mult * atr;
  const risk = sign * (c - stop);
  const targets = rTargets(c, sign, risk, rs);
  if (!riskAndTargetsValid(risk, stop, targets)) {
    return noSignal(
      `${stopped} and the setup re-confirmed, but the stop ${px(stop)} does not give a positive risk and positive targets from entry ${px(c)}`,
    );
  }
  const confidence = blendHalves(adxScore(adx, params.full_adx), Math.min(1, reclaim / params.full_reclaim_atr));
  const signal: Signal = { direction, setup: 'reentry', entry: c, stop, targets, rr: rs[0]!, confidence };
  return {
    outputs: { signals: [signal] },
    rationale:
      `Re-entry: ${stopped}; trend ${trend} and the last close ${px(c)} is back ${side} that entry by ${px(sign * (c - sp.entry))} (${f(reclaim)} ATR): ` +
      `${direction} entry ${px(c)}, stop ${px(stop)} = entry ${sign > 0 ? '-' : '+'} ${params.stop_atr_mult} x ATR ${px(atr)} (R ${px(risk)}), ` +
      `targets ${targets.map(px).join(', ')} at ${rMultiplesText(rs)}, rr ${rs[0]}, confidence ${f(confidence)} ` +
      `(ADX ${f(adx)}/${params.full_adx}, reclaim ${f(reclaim)}/${params.full_reclaim_atr} ATR).`,
  };
};
