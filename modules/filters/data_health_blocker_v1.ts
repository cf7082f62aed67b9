import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * One verdict per symbol from the core's data health check: blocks when data_health.ok is false
 * and lists every issue it reports (or, if none are given, says so), and, only when
 * `block_on_gaps` is on, also blocks on any gap even though the health check tolerates gaps up
 * to a small share of the bars. The reason always states the figures: bars, gaps, missing bars,
 * duplicates, OHLC errors, zero-volume streak and staleness.
 */
export const manifest = defineManifest({
  module_id: 'data_health_blocker_v1',
  version: '1.0.0',
  logic_type: 'filter',
  description:
    'Blocks a symbol whose candle data failed the health check (listing every issue), and optionally on any gap.',
  input_keys: ['data_health'],
  output_keys: ['filter_verdicts'],
  params: z
    .object({
      block_on_gaps: z
        .boolean()
        .default(false)
        .describe('also block when the candles have any gap, even one the health check tolerates (ok stays true)'),
    })
    .strict(),
});

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const h = view.data_health;
  const figures =
    `${h.bars} bars, ${h.gaps} gap(s), ${h.missing_bars} missing bar(s), ${h.duplicates} duplicate(s), ` +
    `${h.ohlc_errors} OHLC error(s), zero-volume streak ${h.zero_volume_streak}, ${h.stale ? 'stale' : 'not stale'}`;
  const problems: string[] = [];
  if (!h.ok) {
    const issues = h.issues.length > 0 ? h.issues.map((t, i) => `(${i + 1}) ${t}`).join(' ') : 'no issue text given';
    problems.push(`data health not ok, ${h.issues.length} issue(s): ${issues}`);
  }
  if (params.block_on_gaps && h.gaps > 0) {
    problems.push(`${h.gaps} gap(s) with ${h.missing_bars} missing bar(s) and block_on_gaps is on`);
  }

  if (problems.length > 0) {
    const why = `${problems.join('; ')} [${figures}]`;
    return {
      outputs: { filter_verdicts: [{ allow: false, reason: `block: ${why}` }] },
      rationale: `Blocked because ${why}.`,
    };
  }
  const gapNote = h.gaps > 0 ? `; ${h.gaps} gap(s) tolerated (block_on_gaps is off)` : '';
  const why = `data health ok [${figures}]${gapNote}`;
  return {
    outputs: { filter_verdicts: [{ allow: true, reason: `allow: ${why}` }] },
    rationale: `Allowed because ${why}.`,
  };
};
