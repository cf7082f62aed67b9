import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/filters/session_filter_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
type Session = ContextValue<'session'>;

const session = (name: Session['name'], hour_utc: number, day_of_week: number): Session =>
  contextKeys.session.schema.parse({ name, hour_utc, day_of_week, weekend: day_of_week === 0 || day_of_week === 6 });

function verdict(s: Session, p = params) {
  const out = run({ session: s }, p, sdk);
  expect(out.outputs.filter_verdicts).toHaveLength(1);
  const v = contextKeys.filter_verdicts.schema.parse(out.outputs.filter_verdicts![0]);
  return { ...v, rationale: out.rationale };
}

describe('session_filter_v1', () => {
  it('manifest declares a filter reading only session', () => {
    expect(manifest.module_id).toBe('session_filter_v1');
    expect(manifest.logic_type).toBe('filter');
    expect(manifest.input_keys).toEqual(['session']);
    expect(manifest.output_keys).toEqual(['filter_verdicts']);
  });

  it('default: off_hours is blocked with the hour and the day', () => {
    const v = verdict(session('off_hours', 22, 2));
    expect(v.allow).toBe(false);
    expect(v.reason).toBe('block: session off_hours at 22:00 UTC Tuesday is in blocked sessions [off_hours]');
  });

  it('default: every other session is allowed, on weekdays and weekends', () => {
    for (const name of ['asia', 'london', 'london_new_york_overlap', 'new_york'] as const) {
      expect(verdict(session(name, 9, 3)).allow).toBe(true);
      expect(verdict(session(name, 9, 6)).allow).toBe(true);
    }
    expect(verdict(session('london', 9, 3)).reason).toBe(
      'allow: session london at 09:00 UTC Wednesday not in blocked sessions [off_hours]; weekday',
    );
    expect(verdict(session('asia', 3, 0)).reason).toBe(
      'allow: session asia at 03:00 UTC Sunday not in blocked sessions [off_hours]; weekend, but block_weekend is off',
    );
  });

  it('block_weekend blocks Saturday and Sunday only', () => {
    const p = manifest.params.parse({ block_weekend: true });
    const sat = verdict(session('new_york', 15, 6), p);
    expect(sat.allow).toBe(false);
    expect(sat.reason).toBe('block: Saturday is a weekend day and block_weekend is on');
    expect(verdict(session('asia', 0, 0), p).allow).toBe(false);
    expect(verdict(session('asia', 23, 5), p).allow).toBe(true); // Friday 23:00
    expect(verdict(session('asia', 0, 1), p).allow).toBe(true); // Monday 00:00
  });

  it('trusts the weekend flag of the session key', () => {
    const p = manifest.params.parse({ block_weekend: true });
    const holiday = contextKeys.session.schema.parse({ name: 'london', hour_utc: 10, day_of_week: 3, weekend: true });
    expect(verdict(holiday, p).allow).toBe(false);
  });

  it('names both failures at once', () => {
    const p = manifest.params.parse({ block_weekend: true, blocked_sessions: ['asia', 'off_hours'] });
    const v = verdict(session('off_hours', 21, 0), p);
    expect(v.reason).toBe(
      'block: session off_hours at 21:00 UTC Sunday is in blocked sessions [asia, off_hours]; Sunday is a weekend day and block_weekend is on',
    );
    expect(v.rationale).toContain('Blocked because');
  });

  it('custom list: blocks the listed sessions only; an empty list blocks nothing', () => {
    const p = manifest.params.parse({ blocked_sessions: ['asia'] });
    expect(verdict(session('asia', 2, 2), p).allow).toBe(false);
    expect(verdict(session('off_hours', 22, 2), p).allow).toBe(true);
    const none = manifest.params.parse({ blocked_sessions: [] });
    const v = verdict(session('off_hours', 22, 2), none);
    expect(v.allow).toBe(true);
    expect(v.reason).toContain('not in blocked sessions []');
  });

  it('params: defaults, strict, known names only, no repeats', () => {
    expect(params).toEqual({ blocked_sessions: ['off_hours'], block_weekend: false });
    expect(manifest.params.safeParse({ blocked_sessions: ['tokyo'] }).success).toBe(false);
    expect(manifest.params.safeParse({ blocked_sessions: ['asia', 'asia'] }).success).toBe(false);
    expect(manifest.params.safeParse({ block_weekend: 'yes' }).success).toBe(false);
    expect(manifest.params.safeParse({ weekend: true }).success).toBe(false);
  });

  it('is deterministic', () => {
    const view = { session: session('off_hours', 22, 6) };
    expect(run(view, params, sdk)).toEqual(run(view, params, sdk));
  });
});
