import { defineManifest, fixed as f, type ModuleRun, px, z } from '../../sdk/index.ts';

/**
 * Weighted-score confluence. Each signal's source (its module_id, else its setup) has a weight
 * from `weights`, or `default_weight` when it is not listed; a weight of 0 mutes that source
 * (its signals are ignored entirely, also for conflicts).
 *
 * score = Σ weight x confidence of the agreeing signals / Σ weight of all (unmuted) signals.
 *
 * Conflicts (`on_conflict`):
 *  - 'reject' (default, as n_of_m_v1): any unmuted long and short together -> no idea.
 *  - 'weighted': the direction with the larger Σ weight x confidence wins (a tie gives no idea);
 *    the losing side's weights stay in the denominator, so a conflict lowers the score.
 *
 * Idea from the agreeing signals (as n_of_m_v1): entry = mean entry; stop = the widest (lowest
 * for a long, highest for a short); targets = those of the best-rr agreeing signal that lie
 * beyond the mean entry, nearest first; rr recomputed to the first target.
 * Rejected (no idea, with the reason) when score < `min_score` or rr < `min_rr`.
 */
export const manifest = defineManifest({
  module_id: 'weighted_score_v1',
  version: '1.0.0',
  logic_type: 'confluence',
  description:
    'Scores agent signals by per-source weights x confidence and turns the agreeing ones into one idea (mean entry, widest stop, best-rr targets) when the score and reward:risk clear their minimums.',
  input_keys: ['signals'],
  output_keys: ['ideas'],
  params: z
    .object({
      weights: z
        .record(z.string().min(1), z.number().min(0).max(100))
        .default({})
        .describe('weight per source module_id (e.g. {"breakout_v1": 2}); 0 mutes a source'),
      default_weight: z.number().min(0).max(100).default(1).describe('weight of a source not listed in weights'),
      min_score: z
        .number()
        .min(0)
        .max(1)
        .default(0.3)
        .describe(
          'minimum score (weighted confidence of the agreeing signals over the weight of all signals) for an idea',
        ),
      min_rr: z.number().min(0).max(100).default(1.5).describe('minimum reward:risk to the first target for an idea'),
      on_conflict: z
        .enum(['reject', 'weighted'])
        .default('reject')
        .describe(
          "'reject': any long and short together give no idea (as n_of_m_v1); 'weighted': the heavier side wins and the other lowers the score",
        ),
    })
    .strict(),
});

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const none = (why: string) => ({ outputs: { ideas: [] }, rationale: why });
  const nameOf = (s: { source?: string | undefined; setup: string }) => s.source ?? s.setup;
  const weightOf = (name: string) =>
    Object.hasOwn(params.weights, name) ? params.weights[name]! : params.default_weight;

  if (view.signals.length === 0) return none('No idea: no agent produced a signal.');
  const weighted = view.signals.map((s) => ({ s, w: weightOf(nameOf(s)) }));
  const live = weighted.filter((x) => x.w > 0);
  const muted = weighted.length - live.length;
  const mutedText = muted > 0 ? ` (${muted} signal(s) from weight-0 sources ignored)` : '';
  if (live.length === 0) return none(`No idea: every signal comes from a source with weight 0${mutedText}.`);

  const side = (d: 'long' | 'short') => live.filter((x) => x.s.direction === d);
  const longs = side('long');
  const shorts = side('short');
  const mass = (xs: typeof live) => xs.reduce((a, x) => a + x.w * x.s.confidence, 0);
  let direction: 'long' | 'short' = longs.length > 0 ? 'long' : 'short';
  let conflictText = '';
  if (longs.length > 0 && shorts.length > 0) {
    const ml = mass(longs);
    const ms = mass(shorts);
    const masses = `weighted confidence long ${f(ml, 3)} vs short ${f(ms, 3)}`;
    if (params.on_conflict === 'reject') {
      return none(
        `No idea: conflicting signals, ${longs.length} long and ${shorts.length} short (on_conflict 'reject')${mutedText}.`,
      );
    }
    if (ml === ms) return none(`No idea: conflicting signals with equal weight, ${masses}${mutedText}.`);
    direction = ml > ms ? 'long' : 'short';
    conflictText = `; conflict resolved by weight (${masses}), the ${direction === 'long' ? 'short' : 'long'} side counts against the score`;
  }
  const agree = direction === 'long' ? longs : shorts;
  const sign = direction === 'long' ? 1 : -1;

  const entry = agree.reduce((a, x) => a + x.s.entry, 0) / agree.length;
  const stops = agree.map((x) => x.s.stop);
  const stop = direction === 'long' ? Math.min(...stops) : Math.max(...stops);
  const risk = sign * (entry - stop);
  if (!(risk > 0))
    return none(`No idea: the widest stop ${px(stop)} is not on the loss side of the mean entry ${px(entry)}.`);
  const best = agree.reduce((a, b) => (b.s.rr > a.s.rr ? b : a)).s;
  const targets = [...best.targets].filter((t) => sign * (t - entry) > 0).sort((a, b) => sign * (a - b));
  if (targets.length === 0) {
    return none(
      `No idea: the best signal's targets ${best.targets.map(px).join(', ')} are not beyond the mean entry ${px(entry)}.`,
    );
  }
  const rr = (sign * (targets[0]! - entry)) / risk;

  const numerator = mass(agree);
  const denominator = live.reduce((a, x) => a + x.w, 0);
  const score = Math.min(1, Math.max(0, numerator / denominator));
  const terms = agree.map((x) => `${f(x.w)}x${f(x.s.confidence, 3)} (${nameOf(x.s)})`).join(' + ');
  const confirmations = [...new Set(agree.map((x) => nameOf(x.s)))];
  const figures =
    `${agree.length} ${direction} of ${live.length} signal(s), score ${f(score, 3)} = (${terms}) / total weight ${f(denominator)}, ` +
    `entry ${px(entry)} (mean), stop ${px(stop)} (widest), targets ${targets.map(px).join(', ')} (from the best-rr signal, rr ${f(best.rr)}), rr ${f(rr)}` +
    `${conflictText}${mutedText}`;
  const reasons: string[] = [];
  if (score < params.min_score) reasons.push(`score ${f(score, 3)} < min_score ${params.min_score}`);
  if (rr < params.min_rr) reasons.push(`rr ${f(rr)} < min_rr ${params.min_rr}`);
  if (reasons.length > 0) return none(`No idea: ${reasons.join('; ')} (${figures}).`);
  return {
    outputs: { ideas: [{ direction, entry, stop, targets, rr, score, confirmations }] },
    rationale: `Idea: ${figures}; score >= min_score ${params.min_score}, rr >= min_rr ${params.min_rr}.`,
  };
};
