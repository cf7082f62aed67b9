import { barsSince, defineManifest, fixed as f, type ModuleRun, px, z } from '../../sdk/index.ts';

/**
 * Trade invalidation monitor: asks to close an open position on this symbol whose trade no
 * longer stands. Positions on other symbols are ignored; each one on this symbol is checked in
 * the order `positions.open` lists it, and gets at most one exit request (naming every rule that
 * fired).
 *
 * Bars open = the number of candles whose open time is at or after the position's `opened_at`
 * (a position opened mid-candle starts counting at the next candle). The view only holds a window
 * of candles, so a position opened before the first one counts the whole window (a lower bound;
 * the rationale says "at least"). "The close" is the last candle's close.
 *
 * Nothing is judged until at least one candle counts (bars open >= 1): the close must belong to
 * the trade, not to the market before it. No candle at all: nothing is judged either.
 *
 * - Time stop (max_bars_open > 0): fires when bars open >= max_bars_open AND progress < min_progress_r,
 *   progress in R = (close - entry) / (entry - stop) for a long, (entry - close) / (stop - entry)
 *   for a short. Exactly max_bars_open bars counts; progress exactly at min_progress_r stands.
 *   When the stop is not on the loss side of the entry (moved to breakeven or trailed into profit)
 *   R is undefined and the time stop does not apply: that trade has already made its progress.
 * - Structure break (structure_break): for a long, the level is the NEWEST confirmed swing low
 *   in key_levels.swing_lows (newest first) that is strictly below the entry: the latest low the
 *   market built under the trade. A close beneath it is a lower low below the entry, i.e. the
 *   higher-low structure the long stands on broke. Swing lows above the entry are skipped (they
 *   would make the rule a trailing stop that cuts winners); an older swing low is never used
 *   instead of a newer one below the entry (price already traded from it down to the newer one).
 *   The newest low counts whether it was printed before or after the opening: key_levels keeps
 *   only its newest max_swings swings, so a level pinned to the opening would drop out of view
 *   within a few bars. The trigger is level x (1 - break_buffer_pct / 100); the rule fires when
 *   the close is strictly below the trigger (a wick through it does not count; the buffer
 *   keeps a marginal close through a swing just under the entry from counting). Short
 *   mirrored: the newest swing high strictly above the entry, trigger
 *   level x (1 + break_buffer_pct / 100), fires when the close is strictly above it.
 *   The rule never looks at the distance to the stop, only at a close through a swing level.
 *   When the trigger lies at or beyond the stop (a long's trigger <= stop; always so once the
 *   stop is at or above the entry), a close through it means the candle traded through the
 *   stop, which the stop handles: the rule stands aside for that position and says so. No swing
 *   level on the entry's loss side: nothing to judge, and the rationale says so.
 *
 * No exit requests (and the rationale says why each position stands) when nothing fires; an
 * empty list, not a missing key, so the decision log shows the monitor ran.
 */
export const manifest = defineManifest({
  module_id: 'trade_invalidation_v1',
  version: '1.0.0',
  logic_type: 'risk',
  description:
    "Requests the exit of this symbol's open positions whose trade is invalidated: a close through the swing level below (above) the entry, or a time stop without enough R progress.",
  input_keys: ['positions', 'candles', 'key_levels', 'symbol'],
  output_keys: ['exit_requests'],
  params: z
    .object({
      max_bars_open: z
        .number()
        .int()
        .min(0)
        .max(100_000)
        .default(48)
        .describe(
          'time stop: after this many bars open (candles opened at or after opened_at), exit unless progress >= min_progress_r; 0 = off',
        ),
      min_progress_r: z
        .number()
        .min(-1)
        .max(20)
        .default(0.5)
        .describe(
          'time stop: the progress in R (close vs entry, over the entry-to-stop risk) a trade needs by max_bars_open to stay open',
        ),
      structure_break: z
        .boolean()
        .default(true)
        .describe(
          'exit a long when a close is below the newest confirmed swing low under its entry (a short: above the newest swing high over its entry)',
        ),
      break_buffer_pct: z
        .number()
        .min(0)
        .max(10)
        .default(0)
        .describe(
          'structure break: the close must be beyond the swing level by this percent of the level (0 = any close through it)',
        ),
    })
    .strict(),
});

type Check = { fired: boolean; text: string };

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const symbol = view.symbol;
  const mine = view.positions.open.filter((p) => p.symbol === symbol);
  const others = view.positions.open.length - mine.length;
  const elsewhere = others > 0 ? ` (${others} open on other symbols, not this module's)` : '';
  if (mine.length === 0)
    return {
      outputs: { exit_requests: [] },
      rationale: `No open position on ${symbol}${elsewhere}: nothing to invalidate.`,
    };

  const c = view.candles;
  const n = c.close.length;
  if (n === 0) {
    return {
      outputs: { exit_requests: [] },
      rationale: `${mine.length} open position(s) on ${symbol} but no candle: nothing can be judged, no exit requested.`,
    };
  }
  const close = c.close[n - 1]!;
  const kl = view.key_levels;

  const requests: { position_id: number; symbol: string; reason: string }[] = [];
  const lines: string[] = [];
  for (const p of mine) {
    const sign = p.side === 'long' ? 1 : -1;
    const opened = Date.parse(p.opened_at);
    const since = barsSince(c.ts, opened);
    const bars = since.count;
    const barsText = `${since.predates ? 'at least ' : ''}${bars} bars open`;
    const head = `#${p.position_id} ${p.side} ${symbol} (entry ${px(p.entry)}, stop ${px(p.stop)}, close ${px(close)}, ${barsText})`;
    if (bars === 0) {
      lines.push(
        `${head} stands: no candle has opened since the position opened at ${p.opened_at}, so no close of the trade to judge yet.`,
      );
      continue;
    }

    // Time stop.
    let time: Check;
    const risk = sign * (p.entry - p.stop);
    if (params.max_bars_open === 0) time = { fired: false, text: 'time stop off (max_bars_open 0)' };
    else if (bars < params.max_bars_open)
      time = { fired: false, text: `time stop: ${barsText} < ${params.max_bars_open}` };
    else if (!(risk > 0)) {
      time = {
        fired: false,
        text: `time stop: ${barsText} >= ${params.max_bars_open} but the stop ${px(p.stop)} is not on the loss side of the entry ${px(p.entry)} (breakeven or trailed), so R is undefined and the time stop does not apply`,
      };
    } else {
      const progress = (sign * (close - p.entry)) / risk;
      time =
        progress < params.min_progress_r
          ? {
              fired: true,
              text: `time stop: ${barsText} >= ${params.max_bars_open} and progress ${f(progress)}R < ${params.min_progress_r}R`,
            }
          : {
              fired: false,
              text: `time stop: ${barsText} >= ${params.max_bars_open} but progress ${f(progress)}R >= ${params.min_progress_r}R`,
            };
    }

    // Structure break.
    let structure: Check;
    const kind = p.side === 'long' ? 'swing low' : 'swing high';
    const below = p.side === 'long' ? 'below' : 'above';
    const swings = p.side === 'long' ? kl.swing_lows : kl.swing_highs;
    if (!params.structure_break) structure = { fired: false, text: 'structure break off' };
    else {
      const level = swings.find((s) => sign * (p.entry - s) > 0);
      if (level === undefined) {
        structure = {
          fired: false,
          text: `structure: no confirmed ${kind} ${below} the entry among [${swings.join(', ')}]`,
        };
      } else {
        const trigger = level * (1 - (sign * params.break_buffer_pct) / 100);
        const levelText =
          params.break_buffer_pct === 0
            ? `${kind} ${px(level)}`
            : `${px(trigger)} = ${kind} ${px(level)} ${sign > 0 ? '-' : '+'} ${params.break_buffer_pct}%`;
        const what = `the newest confirmed ${kind} ${below} the entry`;
        if (!(sign * (trigger - p.stop) > 0)) {
          structure = {
            fired: false,
            text: `structure: ${levelText}, ${what}, is not inside the stop ${px(p.stop)}: a close through it would have gone through the stop, which guards it`,
          };
        } else if (sign * (close - trigger) < 0) {
          structure = {
            fired: true,
            text: `structure break: close ${px(close)} ${sign > 0 ? '<' : '>'} ${levelText}, ${what}`,
          };
        } else {
          structure = {
            fired: false,
            text: `structure: close ${px(close)} ${sign > 0 ? '>=' : '<='} ${levelText}, ${what}`,
          };
        }
      }
    }

    const fired = [structure, time].filter((x) => x.fired);
    if (fired.length > 0) {
      const reason = `${fired.map((x) => x.text).join('; ')} (entry ${px(p.entry)}, stop ${px(p.stop)}, close ${px(close)})`;
      requests.push({ position_id: p.position_id, symbol, reason });
      lines.push(`${head} INVALIDATED, exit requested: ${reason}.`);
    } else {
      lines.push(`${head} stands: ${structure.text}; ${time.text}.`);
    }
  }
  const summary =
    requests.length === 0
      ? `No exit: ${mine.length} open position(s) on ${symbol} stand${elsewhere}.`
      : `${requests.length} of ${mine.length} open position(s) on ${symbol} invalidated${elsewhere}.`;
  return { outputs: { exit_requests: requests }, rationale: `${summary} ${lines.join(' ')}` };
};
