import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/filters/loss_cooldown_v1.ts';
import { barsText, contextKeys, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, sliceCandles, syntheticCandles, type Candles } from '../helpers/sample-candles.ts';
import { sdk } from '../helpers/module-views.ts';

const params = manifest.params.parse({});
const HOUR = 3_600_000;
type Positions = ContextValue<'positions'>;
type Closed = Positions['recent_closed'][number];

/** Hour h (may be fractional) of 2024-01-01 UTC as ISO; the synthetic candles open at whole hours from 00:00. */
const at = (h: number) => new Date(Date.UTC(2024, 0, 1) + h * HOUR).toISOString();

const closed = (over: Partial<Closed> = {}): Closed => ({
  position_id: 7,
  symbol: 'BTC/USDT',
  side: 'long',
  entry: 100,
  opened_at: at(1),
  closed_at: at(10.5),
  realized_pnl: -25.5,
  close_reason: 'stop_loss',
  ...over,
});

const positions = (recent_closed: Closed[], open: Positions['open'] = []): Positions =>
  contextKeys.positions.schema.parse({ open, recent_closed });

/** 24 hourly candles, 2024-01-01 00:00 .. 23:00 (the last one closes at 24:00). */
const day = syntheticCandles(new Array(24).fill(100));

function verdict(recent: Closed[], p = params, candles = day, symbol = 'BTC/USDT') {
  const out = run({ positions: positions(recent), candles, symbol }, p, sdk);
  expect(out.outputs.filter_verdicts).toHaveLength(1);
  const v = contextKeys.filter_verdicts.schema.parse(out.outputs.filter_verdicts![0]);
  return { ...v, rationale: out.rationale };
}

describe('loss_cooldown_v1 manifest and params', () => {
  it('is a filter reading positions, candles and symbol', () => {
    expect(manifest.module_id).toBe('loss_cooldown_v1');
    expect(manifest.logic_type).toBe('filter');
    expect(manifest.input_keys).toEqual(['positions', 'candles', 'symbol']);
    expect(manifest.output_keys).toEqual(['filter_verdicts']);
  });

  it('params: defaults, bounds and strictness', () => {
    expect(params).toEqual({ cooldown_bars: 12, after_consecutive_losses: 1 });
    expect(manifest.params.parse({ cooldown_bars: 0, after_consecutive_losses: 20 })).toEqual({
      cooldown_bars: 0,
      after_consecutive_losses: 20,
    });
    expect(manifest.params.parse({ cooldown_bars: 1000 }).cooldown_bars).toBe(1000);
    for (const bad of [
      { cooldown_bars: -1 },
      { cooldown_bars: 1001 },
      { cooldown_bars: 1.5 },
      { after_consecutive_losses: 0 },
      { after_consecutive_losses: 21 },
      { after_consecutive_losses: 2.5 },
      { cooldown: 12 },
      { cooldown_bars: '12' },
    ]) {
      expect(manifest.params.safeParse(bad).success).toBe(false);
    }
  });
});

describe('loss_cooldown_v1 blocking and allowing', () => {
  it('blocks 3 bars after a losing stop-out: exact reason with id, P&L, close reason, bars since and left', () => {
    // closed 10:30; candles opened at or after: 11:00 .. 23:00 would be 13, so view only up to the 13:00 candle (to=14): 11, 12, 13 = 3
    const v = verdict([closed()], params, syntheticCandles(new Array(14).fill(100)));
    expect(v.allow).toBe(false);
    expect(v.reason).toBe(
      'block: BTC/USDT position #7 (long) closed at 2024-01-01T10:30:00.000Z by stop_loss with P&L -25.50 (1 losing close in a row, cooldown after 1): 3 bars since, cooldown 12 bars, 9 bars left',
    );
    expect(v.rationale).toBe(
      'Blocked because BTC/USDT position #7 (long) closed at 2024-01-01T10:30:00.000Z by stop_loss with P&L -25.50 (1 losing close in a row, cooldown after 1): 3 bars since, cooldown 12 bars, 9 bars left.',
    );
  });

  it('counts bars at the boundary: 11 bars blocks (1 left), 12 bars allows; a close at an open time counts that candle', () => {
    // closed 12:00 exactly: the 12:00 candle counts. to = 23 -> candles 12..22 = 11; to = 24 -> 12..23 = 12
    const loss = closed({ closed_at: at(12) });
    const eleven = verdict([loss], params, syntheticCandles(new Array(23).fill(100)));
    expect(eleven.allow).toBe(false);
    expect(eleven.reason).toContain(': 11 bars since, cooldown 12 bars, 1 bar left');
    const twelve = verdict([loss], params, day);
    expect(twelve.allow).toBe(true);
    expect(twelve.reason).toBe(
      'allow: BTC/USDT position #7 (long) closed at 2024-01-01T12:00:00.000Z by stop_loss with P&L -25.50 (1 losing close in a row, cooldown after 1): 12 bars since, the 12-bar cooldown ended 0 bars ago',
    );
    // one millisecond later and the 12:00 candle no longer counts
    expect(
      verdict([closed({ closed_at: new Date(Date.UTC(2024, 0, 1, 12) + 1).toISOString() })], params, day).reason,
    ).toContain(': 11 bars since');
  });

  it('a loss in the newest candle has 0 bars since', () => {
    const v = verdict([closed({ closed_at: at(23.25) })]);
    expect(v.allow).toBe(false);
    expect(v.reason).toContain(': 0 bars since, cooldown 12 bars, 12 bars left');
  });

  it('allows once the cooldown is long over, saying how long ago it ended', () => {
    const v = verdict([closed({ closed_at: at(2.5) })]);
    // candles 03:00 .. 23:00 = 21 bars, ended 9 bars ago
    expect(v.allow).toBe(true);
    expect(v.reason).toContain(': 21 bars since, the 12-bar cooldown ended 9 bars ago');
    expect(v.rationale).toMatch(/^Allowed because BTC\/USDT position #7 .* ended 9 bars ago\.$/);
  });

  it('allows with no history, and ignores other symbols', () => {
    const none = verdict([]);
    expect(none.allow).toBe(true);
    expect(none.reason).toBe('allow: no closed position on BTC/USDT in the history');
    expect(none.rationale).toBe('Allowed because no closed position on BTC/USDT in the history.');
    expect(verdict([closed({ symbol: 'ETH/USDT', closed_at: at(23) })]).reason).toBe(
      'allow: no closed position on BTC/USDT in the history',
    );
  });

  it('allows when the last close was a win or break-even, even right after an older loss', () => {
    const win = verdict([
      closed({ position_id: 9, closed_at: at(22), realized_pnl: 12.3, close_reason: 'take_profit' }),
      closed({ closed_at: at(21) }),
    ]);
    expect(win.allow).toBe(true);
    expect(win.reason).toBe(
      'allow: the last close on BTC/USDT, position #9 (long) at 2024-01-01T22:00:00.000Z, was a win (P&L +12.30, take_profit)',
    );
    const even = verdict([
      closed({ position_id: 9, side: 'short', closed_at: at(22), realized_pnl: 0, close_reason: 'close' }),
    ]);
    expect(even.allow).toBe(true);
    expect(even.reason).toBe(
      'allow: the last close on BTC/USDT, position #9 (short) at 2024-01-01T22:00:00.000Z, was break-even (P&L 0.00, close)',
    );
  });

  it('names an unknown close reason', () => {
    const v = verdict([closed({ closed_at: at(22), close_reason: null })]);
    expect(v.allow).toBe(false);
    expect(v.reason).toContain('closed at 2024-01-01T22:00:00.000Z by unknown close reason with P&L -25.50');
  });

  it('cooldown_bars 0 disables the filter', () => {
    const v = verdict([closed({ closed_at: at(23) })], manifest.params.parse({ cooldown_bars: 0 }));
    expect(v.allow).toBe(true);
    expect(v.reason).toBe('allow: the loss cooldown is disabled (cooldown_bars 0)');
  });

  it('a custom cooldown: 3 bars', () => {
    const p = manifest.params.parse({ cooldown_bars: 3 });
    expect(verdict([closed({ closed_at: at(21) })], p).allow).toBe(true); // 21, 22, 23
    const v = verdict([closed({ closed_at: at(21.5) })], p); // 22, 23
    expect(v.allow).toBe(false);
    expect(v.reason).toContain(': 2 bars since, cooldown 3 bars, 1 bar left');
  });
});

describe('loss_cooldown_v1 consecutive losses', () => {
  const p2 = manifest.params.parse({ after_consecutive_losses: 2 });
  const l = (id: number, h: number, pnl = -10) => closed({ position_id: id, closed_at: at(h), realized_pnl: pnl });

  it('one loss after a win is not enough when two in a row are required', () => {
    const v = verdict([l(3, 22), l(2, 20, 5), l(1, 18)], p2);
    expect(v.allow).toBe(true);
    expect(v.reason).toBe(
      'allow: BTC/USDT has 1 losing close in a row (newest position #3 (long) closed at 2024-01-01T22:00:00.000Z by stop_loss with P&L -10.00), fewer than after_consecutive_losses 2',
    );
  });

  it('two losses in a row start the cooldown from the newest', () => {
    const v = verdict([l(3, 22), l(2, 20), l(1, 18, 5)], p2);
    expect(v.allow).toBe(false);
    expect(v.reason).toBe(
      'block: BTC/USDT position #3 (long) closed at 2024-01-01T22:00:00.000Z by stop_loss with P&L -10.00 (2 losing closes in a row, cooldown after 2): 2 bars since, cooldown 12 bars, 10 bars left',
    );
  });

  it('counts the whole run of losses; a break-even close ends it', () => {
    const run3 = verdict(
      [l(4, 22), l(3, 21), l(2, 20), l(1, 19, 0)],
      manifest.params.parse({ after_consecutive_losses: 3 }),
    );
    expect(run3.allow).toBe(false);
    expect(run3.reason).toContain('(3 losing closes in a row, cooldown after 3)');
    expect(
      verdict([l(4, 22), l(3, 21), l(2, 20, 0), l(1, 19)], manifest.params.parse({ after_consecutive_losses: 3 }))
        .allow,
    ).toBe(true);
  });

  it('orders by closed_at, not by the order given (ties: higher position id first)', () => {
    // given oldest first: the newest (#3, 22:00) is the loss
    expect(verdict([l(1, 18, 5), l(2, 20), l(3, 22)], p2).reason).toContain('2 losing closes in a row');
    // #5 and #6 closed at the same time: #6 (the win) counts as the newer one
    const tie = verdict([l(5, 22), l(6, 22, 4)]);
    expect(tie.allow).toBe(true);
    expect(tie.reason).toContain('position #6');
  });
});

describe('loss_cooldown_v1 when the close predates the candles', () => {
  it('blocks when fewer candles than the cooldown are in view (cannot confirm), allows when there are enough', () => {
    const short = syntheticCandles(new Array(5).fill(100), { startTs: Date.UTC(2024, 0, 2) });
    const v = verdict([closed()], params, short);
    expect(v.allow).toBe(false);
    expect(v.reason).toContain(
      'the close predates the first candle, so only 5 bars are known to have passed, fewer than the 12-bar cooldown (cannot confirm it is over)',
    );
    const long = syntheticCandles(new Array(30).fill(100), { startTs: Date.UTC(2024, 0, 2) });
    const ok = verdict([closed()], params, long);
    expect(ok.allow).toBe(true);
    expect(ok.reason).toContain(
      'at least 30 bars since (the close predates the first candle), the 12-bar cooldown is over',
    );
  });

  it('no candles at all: a recent loss blocks', () => {
    const empty = syntheticCandles([]);
    expect(verdict([closed()], params, empty).allow).toBe(false);
    expect(verdict([], params, empty).allow).toBe(true);
  });
});

describe('loss_cooldown_v1 on real BTC/USDT 1h candles', () => {
  // a losing long stopped 40 minutes into the candle at index 640 (2024-01-27 16:00 UTC)
  const all = sampleCandles({ to: 700 });
  const stopAt = all.ts[640]! + 40 * 60_000;
  const loss = closed({
    position_id: 101,
    entry: 41814,
    opened_at: new Date(all.ts[636]!).toISOString(),
    closed_at: new Date(stopAt).toISOString(),
    realized_pnl: -63.8,
  });

  it('blocks until 12 candles have opened after the stop, then allows', () => {
    expect(new Date(all.ts[640]!).toISOString()).toBe('2024-01-27T16:00:00.000Z');
    for (let last = 641; last <= 660; last++) {
      const candles = sampleCandles({ from: last - 299, to: last + 1 });
      const bars = last - 640; // candles 641..last opened after 16:40
      // independent check: the sample has one candle per hour here
      expect((candles.ts.at(-1)! - all.ts[640]!) / HOUR).toBe(bars);
      const v = verdict([loss], params, candles);
      expect(v.allow).toBe(bars >= 12);
      if (bars < 12)
        expect(v.reason).toContain(
          `: ${bars} bar${bars === 1 ? '' : 's'} since, cooldown 12 bars, ${12 - bars} bar${12 - bars === 1 ? '' : 's'} left`,
        );
      else expect(v.reason).toContain(`: ${bars} bars since, the 12-bar cooldown ended ${bars - 12} bar`);
    }
  });

  it('exact reason at 2024-01-27 21:00 (5 bars after the stop)', () => {
    const candles = sampleCandles({ from: 346, to: 646 });
    expect(new Date(candles.ts.at(-1)!).toISOString()).toBe('2024-01-27T21:00:00.000Z');
    const v = verdict([loss], params, candles);
    expect(v.reason).toBe(
      'block: BTC/USDT position #101 (long) closed at 2024-01-27T16:40:00.000Z by stop_loss with P&L -63.80 (1 losing close in a row, cooldown after 1): 5 bars since, cooldown 12 bars, 7 bars left',
    );
  });

  it('is deterministic and does not mutate its input', () => {
    const view = {
      positions: positions([loss, closed({ position_id: 90, closed_at: at(3), realized_pnl: 20 })]),
      candles: sampleCandles({ from: 346, to: 646 }),
      symbol: 'BTC/USDT',
    };
    const before = JSON.stringify(view);
    const a = run(view, params, sdk);
    expect(run(view, params, sdk)).toEqual(a);
    expect(JSON.stringify(view)).toBe(before);
  });
});

describe('loss_cooldown_v1 on a long history: bars since are counted without scanning it', () => {
  const all = sampleCandles(); // 2024, one candle per hour, no gaps
  /** Candles whose ts reads are counted. */
  const spied = (c: Candles) => {
    const seen = { reads: 0 };
    const ts = new Proxy(c.ts as number[], {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) seen.reads++;
        return Reflect.get(target, prop, receiver);
      },
    });
    return { candles: { ...c, ts }, seen };
  };

  it('at 200+ decision times, the whole history since 2024-01-01 gives the verdict of the history cut to start at the losing close, for recent and old losses', () => {
    let compared = 0;
    for (let end = 300; end <= all.close.length; end += 41, compared++) {
      const ago = [1, 3, 11, 12, 13, 48, Math.min(500, end - 1), end - 1][compared % 8]!;
      const at = end - ago; // the candle in which the loss closed
      const closedAt = all.ts[at]! + (compared % 2 === 0 ? 0 : 25 * 60_000); // at its open (it counts) or inside it (it does not)
      const loss = closed({ closed_at: new Date(closedAt).toISOString() });
      const long = verdict([loss], params, sliceCandles(all, 0, end));
      const short = verdict([loss], params, sliceCandles(all, at, end));
      expect(long).toEqual(short);
      const bars = all.ts.slice(0, end).filter((t) => t >= closedAt).length; // independent count
      expect(bars).toBe(compared % 2 === 0 ? ago : ago - 1);
      expect(long.reason).toContain(`: ${barsText(bars)} since`);
      expect(long.allow).toBe(bars >= params.cooldown_bars);
    }
    expect(compared).toBeGreaterThanOrEqual(200);
  });

  it('a loss before the first candle still counts every candle in view as the lower bound', () => {
    const loss = closed({ closed_at: '2023-12-31T12:00:00.000Z' });
    for (const end of [5, 11, 12, 2000, all.close.length]) {
      const v = verdict([loss], params, sliceCandles(all, 0, end));
      expect(v.allow).toBe(end >= 12);
      expect(v.reason).toContain(
        end >= 12
          ? `at least ${barsText(end)} since (the close predates the first candle)`
          : `only ${barsText(end)} are known to have passed`,
      );
    }
  });

  it('reads O(log n) open times: a loss 8,000 candles back costs no more than a few dozen reads', () => {
    const end = all.close.length;
    const loss = closed({ closed_at: new Date(all.ts[end - 8000]! + 60_000).toISOString() });
    const { candles, seen } = spied(sliceCandles(all, 0, end));
    const v = verdict([loss], params, candles);
    expect(v.reason).toContain(': 7999 bars since');
    expect(seen.reads).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(end + 1)));
  });
});
