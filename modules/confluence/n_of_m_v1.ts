import { defineManifest, fixed as f, type ModuleRun, px, z } from '../../sdk/index.ts';

/**
 * N-of-M confluence. Signals are grouped by direction. An idea is produced only when at least
 * `min_signals` agree and the other direction has none (any conflict means no idea).
 *
 * Idea: entry = mean entry of the agreeing signals; stop = the widest (most conservative) stop,
 * i.e. the lowest for a long and the highest for a short; targets = those of the agreeing
 * signal with the best rr that lie beyond the mean entry; rr recomputed to the first target.
 * score = agreeing / max(total signals, out_of) x mean confidence of the agreeing signals.
 * Rejected (no idea) when rr < `min_rr`.
 */
export const manifest = defineManifest({
  module_id: 'n_of_m_v1',
  version: '1.0.0',
  logic_type: 'confluence',
  description:
    'Turns agreeing agent signals into one trade idea when at least N agree and none conflict, with the widest stop and a recomputed reward:risk.',
  input_keys: ['signals'],
  output_keys: ['ideas'],
  params: z
    .object({
      min_signals: z.number().int().min(1).max(50).default(1).describe('N: signals that must agree on a direction'),
      out_of: z
        .number()
        .int()
        .min(0)
        .max(50)
        .default(0)
        .describe(
          'M: agents expected to vote, used as the score denominator when larger than the signals received; 0 = count only the signals received',
        ),
      min_rr: z.number().min(0).max(100).default(1.5).describe('minimum reward:risk to the first target for an idea'),
    })
    .strict(),
});

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const signals = view.signals;
  const longs = signals.filter((s) => s.direction === 'long');
  const shorts = signals.filter((s) => s.direction === 'short');
  const none = (why: string) => ({ outputs: { ideas: [] }, rationale: why });

  if (signals.length === 0) return none('No idea: no agent produced a signal.');
  if (longs.length > 0 && shorts.length > 0) {
    return none(`No idea: conflicting signals, ${longs.length} long and ${shorts.length} short.`);
  }
  const direction = longs.length > 0 ? 'long' : 'short';
  const agree = longs.length > 0 ? longs : shorts;
  if (agree.length < params.min_signals) {
    return none(`No idea: ${agree.length} ${direction} signal(s), need at least ${params.min_signals}.`);
  }

  const sign = direction === 'long' ? 1 : -1;
  const entry = agree.reduce((s, x) => s + x.entry, 0) / agree.length;
  const stop = direction === 'long' ? Math.min(...agree.map((s) => s.stop)) : Math.max(...agree.map((s) => s.stop));
  const risk = sign * (entry - stop);
  if (!(risk > 0)) {
    return none(`No idea: the widest stop ${px(stop)} is not on the loss side of the mean entry ${px(entry)}.`);
  }
  const best = agree.reduce((a, b) => (b.rr > a.rr ? b : a));
  const targets = [...best.targets].filter((t) => sign * (t - entry) > 0).sort((a, b) => sign * (a - b));
  if (targets.length === 0) {
    return none(
      `No idea: the best signal's targets ${best.targets.map((t) => px(t)).join(', ')} are not beyond the mean entry ${px(entry)}.`,
    );
  }
  const rr = (sign * (targets[0]! - entry)) / risk;
  const total = Math.max(signals.length, params.out_of);
  const meanConf = agree.reduce((s, x) => s + x.confidence, 0) / agree.length;
  const score = Math.min(1, Math.max(0, (agree.length / total) * meanConf));
  const confirmations = [...new Set(agree.map((s) => s.source ?? s.setup))];
  const figures =
    `${agree.length}/${total} ${direction}, entry ${px(entry)} (mean), stop ${px(stop)} (widest), ` +
    `targets ${targets.map((t) => px(t)).join(', ')} (from the best-rr signal, rr ${f(best.rr)}), rr ${f(rr)}, ` +
    `score ${f(score, 3)} = ${agree.length}/${total} x mean confidence ${f(meanConf, 3)}`;
  if (rr < params.min_rr) return none(`No idea: rr ${f(rr)} < min_rr ${params.min_rr} (${figures}).`);
  return {
    outputs: { ideas: [{ direction, entry, stop, targets, rr, score, confirmations }] },
    rationale: `Idea: ${figures}; at least ${params.min_signals} agree, none conflict, rr >= ${params.min_rr}.`,
  };
};
