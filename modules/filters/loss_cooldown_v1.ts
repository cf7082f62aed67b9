import { barsSince, barsText, defineManifest, fixed as f, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * No-trade-after-loss cooldown, one verdict per symbol.
 *
 * Reads this symbol's recently closed positions (positions.recent_closed, newest first by
 * closed_at) and counts the losing closes in a row from the newest one (realized_pnl < 0; a
 * break-even 0 is not a loss and ends the run). When that run reaches `after_consecutive_losses`,
 * the symbol is blocked until `cooldown_bars` candles have passed since the newest loss closed.
 *
 * Bars since a close at time T = the number of candles whose open time is at or after T (only
 * closed candles are in the view, so a stop hit inside a candle starts counting at the next one).
 * If the close predates the first candle in the view, the count is only a lower bound: the
 * cooldown is then treated as over only when even that lower bound reaches cooldown_bars
 * (otherwise it blocks, saying the candles do not reach back far enough to confirm it).
 *
 * cooldown_bars 0 disables the filter (it always allows).
 */
export const manifest = defineManifest({
  module_id: 'loss_cooldown_v1',
  version: '1.0.0',
  logic_type: 'filter',
  description:
    'No-trade-after-loss cooldown: blocks a symbol for N candles after its newest closed position lost (optionally only after several losses in a row).',
  input_keys: ['positions', 'candles', 'symbol'],
  output_keys: ['filter_verdicts'],
  params: z
    .object({
      cooldown_bars: z
        .number()
        .int()
        .min(0)
        .max(1000)
        .default(12)
        .describe(
          'candles to wait after the newest losing close before trading the symbol again; 0 disables the filter',
        ),
      after_consecutive_losses: z
        .number()
        .int()
        .min(1)
        .max(20)
        .default(1)
        .describe(
          'the cooldown starts only after this many losing closes in a row on the symbol (counted from the newest)',
        ),
    })
    .strict(),
});

type Closed = {
  position_id: number;
  symbol: string;
  side: string;
  closed_at: string;
  realized_pnl: number;
  close_reason: string | null;
};

/** Quote P&L with its sign: +12.30, -5.00. */
const pnl = (x: number) => `${x > 0 ? '+' : ''}${f(x)}`;
const how = (p: Closed) => p.close_reason ?? 'unknown close reason';

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const sym = view.symbol;
  const verdict = (allow: boolean, why: string) => ({
    outputs: { filter_verdicts: [{ allow, reason: `${allow ? 'allow' : 'block'}: ${why}` }] },
    rationale: `${allow ? 'Allowed' : 'Blocked'} because ${why}.`,
  });

  if (params.cooldown_bars === 0) return verdict(true, 'the loss cooldown is disabled (cooldown_bars 0)');

  // newest first; ties by the higher position id (opened later)
  const closed = view.positions.recent_closed
    .filter((p) => p.symbol === sym)
    .map((p) => ({ p, t: Date.parse(p.closed_at) }))
    .sort((a, b) => b.t - a.t || b.p.position_id - a.p.position_id);
  const newest = closed[0];
  if (!newest) return verdict(true, `no closed position on ${sym} in the history`);

  const last = newest.p;
  const lastText = `position #${last.position_id} (${last.side})`;
  if (!(last.realized_pnl < 0)) {
    const kind = last.realized_pnl > 0 ? 'a win' : 'break-even';
    return verdict(
      true,
      `the last close on ${sym}, ${lastText} at ${last.closed_at}, was ${kind} (P&L ${pnl(last.realized_pnl)}, ${how(last)})`,
    );
  }

  let streak = 0;
  while (streak < closed.length && closed[streak]!.p.realized_pnl < 0) streak++;
  const streakText = `${streak} losing close${streak === 1 ? '' : 's'} in a row`;
  const lossText = `${lastText} closed at ${last.closed_at} by ${how(last)} with P&L ${pnl(last.realized_pnl)}`;
  if (streak < params.after_consecutive_losses) {
    return verdict(
      true,
      `${sym} has ${streakText} (newest ${lossText}), fewer than after_consecutive_losses ${params.after_consecutive_losses}`,
    );
  }

  const since = barsSince(view.candles.ts, newest.t);
  const cd = params.cooldown_bars;
  const head = `${sym} ${lossText} (${streakText}, cooldown after ${params.after_consecutive_losses})`;
  if (since.predates) {
    if (since.count >= cd)
      return verdict(
        true,
        `${head}: at least ${barsText(since.count)} since (the close predates the first candle), the ${cd}-bar cooldown is over`,
      );
    return verdict(
      false,
      `${head}: the close predates the first candle, so only ${barsText(since.count)} are known to have passed, fewer than the ${cd}-bar cooldown (cannot confirm it is over)`,
    );
  }
  if (since.count >= cd) {
    return verdict(
      true,
      `${head}: ${barsText(since.count)} since, the ${cd}-bar cooldown ended ${barsText(since.count - cd)} ago`,
    );
  }
  return verdict(
    false,
    `${head}: ${barsText(since.count)} since, cooldown ${barsText(cd)}, ${barsText(cd - since.count)} left`,
  );
};
