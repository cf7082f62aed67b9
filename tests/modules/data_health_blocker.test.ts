import { describe, expect, it } from 'vitest';
import { checkDataHealth } from '../../market/data-health.ts';
import { manifest, run } from '../../modules/filters/data_health_blocker_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles } from '../helpers/sample-candles.ts';

const params = manifest.params.parse({});
const gapParams = manifest.params.parse({ block_on_gaps: true });
const sdk = { indicators };
const HOUR = 3_600_000;
type Health = ContextValue<'data_health'>;

const health = (over: Partial<Health> = {}): Health =>
  contextKeys.data_health.schema.parse({
    ok: true,
    bars: 300,
    gaps: 0,
    missing_bars: 0,
    duplicates: 0,
    bad_values: 0,
    ohlc_errors: 0,
    off_grid: 0,
    first_corrupt_ts: null,
    zero_volume_streak: 0,
    last_close_ts: Date.UTC(2024, 0, 13, 12),
    stale: false,
    issues: [],
    ...over,
  });

function verdict(data_health: Health, p = params) {
  const out = run({ data_health }, p, sdk);
  expect(out.outputs.filter_verdicts).toHaveLength(1);
  const v = contextKeys.filter_verdicts.schema.parse(out.outputs.filter_verdicts![0]);
  return { ...v, rationale: out.rationale };
}

/** Real 2024 BTC 1h candles [0, 300) with candles [from, from + n) cut out. */
function withGap(from: number, n: number) {
  const c = sampleCandles({ to: 300 });
  for (const k of ['ts', 'open', 'high', 'low', 'close', 'volume'] as const) c[k].splice(from, n);
  return c;
}
const opts = (asOfMs: number) => ({ timeframeMs: HOUR, asOfMs, minBars: 200 });

describe('data_health_blocker_v1', () => {
  it('manifest declares a filter reading only data_health', () => {
    expect(manifest.module_id).toBe('data_health_blocker_v1');
    expect(manifest.logic_type).toBe('filter');
    expect(manifest.input_keys).toEqual(['data_health']);
    expect(manifest.output_keys).toEqual(['filter_verdicts']);
  });

  it('healthy data is allowed with its figures', () => {
    const v = verdict(health());
    expect(v.allow).toBe(true);
    expect(v.reason).toBe(
      'allow: data health ok [300 bars, 0 gap(s), 0 missing bar(s), 0 duplicate(s), 0 OHLC error(s), zero-volume streak 0, not stale]',
    );
  });

  it('not ok: blocks and lists every issue, numbered, with the figures', () => {
    const v = verdict(
      health({ ok: false, stale: true, duplicates: 2, issues: ['first problem', 'second problem', 'third problem'] }),
    );
    expect(v.allow).toBe(false);
    expect(v.reason).toBe(
      'block: data health not ok, 3 issue(s): (1) first problem (2) second problem (3) third problem ' +
        '[300 bars, 0 gap(s), 0 missing bar(s), 2 duplicate(s), 0 OHLC error(s), zero-volume streak 0, stale]',
    );
    expect(v.rationale).toContain('(3) third problem');
  });

  it('not ok without issue text still blocks and says so', () => {
    const v = verdict(health({ ok: false }));
    expect(v.allow).toBe(false);
    expect(v.reason).toContain('data health not ok, 0 issue(s): no issue text given');
  });

  it('gaps are tolerated by default and blocked with block_on_gaps, naming the counts', () => {
    const h = health({ gaps: 2, missing_bars: 5, issues: ['2 gap(s) with 5 missing bar(s)'] });
    const tolerated = verdict(h);
    expect(tolerated.allow).toBe(true);
    expect(tolerated.reason).toContain('2 gap(s) tolerated (block_on_gaps is off)');
    const blocked = verdict(h, gapParams);
    expect(blocked.allow).toBe(false);
    expect(blocked.reason).toBe(
      'block: 2 gap(s) with 5 missing bar(s) and block_on_gaps is on ' +
        '[300 bars, 2 gap(s), 5 missing bar(s), 0 duplicate(s), 0 OHLC error(s), zero-volume streak 0, not stale]',
    );
    // block_on_gaps does nothing when there are no gaps
    expect(verdict(health(), gapParams).allow).toBe(true);
  });

  it('not ok and a gap with block_on_gaps: both reasons in one verdict', () => {
    const v = verdict(health({ ok: false, gaps: 1, missing_bars: 40, issues: ['too sparse'] }), gapParams);
    expect(v.reason).toMatch(
      /^block: data health not ok, 1 issue\(s\): \(1\) too sparse; 1 gap\(s\) with 40 missing bar\(s\) and block_on_gaps is on \[/,
    );
  });

  describe('with checkDataHealth on the real 2024 BTC sample', () => {
    it('a clean slice checked right after its last close is allowed', () => {
      const c = sampleCandles({ to: 300 });
      const h = contextKeys.data_health.schema.parse(checkDataHealth(c, opts(c.ts.at(-1)! + HOUR)));
      expect(h.ok).toBe(true);
      expect(verdict(h).allow).toBe(true);
      expect(verdict(h, gapParams).allow).toBe(true);
    });

    it('a small gap (3 of 300 bars cut) passes health; default allows, block_on_gaps blocks', () => {
      const c = withGap(100, 3);
      const h = contextKeys.data_health.schema.parse(checkDataHealth(c, opts(c.ts.at(-1)! + HOUR)));
      expect(h).toMatchObject({ ok: true, bars: 297, gaps: 1, missing_bars: 3 });
      const allowed = verdict(h);
      expect(allowed.allow).toBe(true);
      expect(allowed.reason).toContain('297 bars, 1 gap(s), 3 missing bar(s)');
      const blocked = verdict(h, gapParams);
      expect(blocked.allow).toBe(false);
      expect(blocked.reason).toContain('1 gap(s) with 3 missing bar(s) and block_on_gaps is on');
    });

    it("a large gap (30 bars cut, over 5%) fails health and is blocked with the checker's own issue text", () => {
      const c = withGap(100, 30);
      const h = contextKeys.data_health.schema.parse(checkDataHealth(c, opts(c.ts.at(-1)! + HOUR)));
      expect(h.ok).toBe(false);
      const v = verdict(h);
      expect(v.allow).toBe(false);
      expect(h.issues.length).toBeGreaterThanOrEqual(2);
      for (const issue of h.issues) expect(v.reason).toContain(issue);
      expect(v.reason).toContain(`data health not ok, ${h.issues.length} issue(s)`);
      expect(v.reason).toContain('270 bars, 1 gap(s), 30 missing bar(s)');
    });

    it('a stale as_of (last close 3h before) is blocked, listing the staleness issue', () => {
      const c = sampleCandles({ to: 300 });
      const h = contextKeys.data_health.schema.parse(checkDataHealth(c, opts(c.ts.at(-1)! + 4 * HOUR)));
      expect(h).toMatchObject({ ok: false, stale: true });
      const v = verdict(h);
      expect(v.allow).toBe(false);
      expect(h.issues).toHaveLength(1);
      expect(v.reason).toContain(`(1) ${h.issues[0]}`);
      expect(v.reason).toContain('stale');
      expect(v.reason).toContain(new Date(c.ts.at(-1)! + HOUR).toISOString());
    });

    it('stale and gapped at once: every issue is listed', () => {
      const c = withGap(50, 2);
      const h = contextKeys.data_health.schema.parse(checkDataHealth(c, opts(c.ts.at(-1)! + 5 * HOUR)));
      expect(h.ok).toBe(false);
      expect(h.issues).toHaveLength(2);
      const v = verdict(h);
      expect(v.reason).toContain(`(1) ${h.issues[0]} (2) ${h.issues[1]}`);
    });
  });

  it('params: default, strict, boolean only', () => {
    expect(params).toEqual({ block_on_gaps: false });
    expect(manifest.params.safeParse({ block_on_gaps: 'true' }).success).toBe(false);
    expect(manifest.params.safeParse({ block_on_stale: true }).success).toBe(false);
  });

  it('is deterministic', () => {
    const view = { data_health: health({ ok: false, issues: ['x'] }) };
    expect(run(view, gapParams, sdk)).toEqual(run(view, gapParams, sdk));
  });
});
