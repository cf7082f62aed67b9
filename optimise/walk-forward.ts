import { TraderError } from '../core/errors.ts';

/**
 * Walk-forward windows: parameters are fitted on one span and scored on the next, which
 * they never saw. The study's span is cut into `windows + fitSegments` equal segments on
 * bar boundaries; window i is scored on segment `fitSegments + i` and fitted on the
 * `fitSegments` segments before it (rolling) or on everything before it (anchored). Test
 * segments follow each other without gap or overlap, so their results chain into one
 * out-of-sample record; no test segment overlaps its fitting span.
 */
export type WalkForwardMode = 'rolling' | 'anchored';

export interface Span {
  from: Date;
  to: Date;
}

export interface Window {
  index: number;
  fit: Span;
  test: Span;
}

export function walkForwardWindows(
  span: Span,
  o: { windows: number; mode: WalkForwardMode; timeframeMs: number; fitSegments?: number },
): Window[] {
  const fitSegments = o.fitSegments ?? 3;
  const segments = o.windows + fitSegments;
  if (!Number.isInteger(o.windows) || o.windows < 1 || o.windows > 50)
    throw new TraderError(
      'BAD_INPUT',
      `--walk-forward must be a whole number of windows from 1 to 50, not ${o.windows}.`,
    );
  const from = span.from.getTime();
  const bars = Math.floor((span.to.getTime() - from) / o.timeframeMs);
  // Each segment needs enough bars to trade in; a day of bars per segment is the least that means anything.
  const minBars = Math.ceil(86_400_000 / o.timeframeMs);
  if (bars < segments * minBars)
    throw new TraderError(
      'BAD_INPUT',
      `The span ${span.from.toISOString()}..${span.to.toISOString()} holds ${bars} bars, too few for ${o.windows} walk-forward window(s) (${segments} segments of at least ${minBars} bars); choose a longer span or fewer windows.`,
    );
  const at = (segment: number) => new Date(from + Math.floor((bars * segment) / segments) * o.timeframeMs);
  return Array.from({ length: o.windows }, (_, i) => ({
    index: i,
    fit: { from: o.mode === 'anchored' ? at(0) : at(i), to: at(fitSegments + i) },
    test: { from: at(fitSegments + i), to: at(fitSegments + i + 1) },
  }));
}
