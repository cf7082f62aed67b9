import { bestIdea, defineManifest, fixed as f, type ModuleRun, px, z } from '../../sdk/index.ts';

/**
 * ATR stop for the best-scored idea (ties: higher rr, then the first).
 *
 * atr stop = entry - atr_mult x ATR for a long, entry + atr_mult x ATR for a short.
 * `mode`:
 *  - 'wider' (default): the farther of the idea's stop and the ATR stop from entry (the idea's
 *    own stop is kept when it is wider; an idea stop on the wrong side never wins);
 *  - 'atr_only': always the ATR stop;
 *  - 'idea_only': always the idea's stop.
 * No stop_plan (the rationale says why) when there is no idea, the chosen stop is not on the
 * loss side of the entry (e.g. ATR 0 in 'atr_only'), or it is not a positive price.
 */
export const manifest = defineManifest({
  module_id: 'atr_stop_v1',
  version: '1.0.0',
  logic_type: 'risk',
  description:
    "Sets the best idea's stop at a multiple of ATR from entry, keeping the idea's own stop when it is wider (configurable).",
  input_keys: ['ideas', 'volatility'],
  output_keys: ['stop_plan'],
  params: z
    .object({
      atr_mult: z.number().positive().max(20).default(2).describe('stop distance from entry in ATRs'),
      mode: z
        .enum(['wider', 'atr_only', 'idea_only'])
        .default('wider')
        .describe(
          "'wider': the farther of the idea's stop and the ATR stop; 'atr_only': the ATR stop; 'idea_only': the idea's stop",
        ),
    })
    .strict(),
});

export const run: ModuleRun<typeof manifest> = (view, params) => {
  if (view.ideas.length === 0) return { outputs: {}, rationale: 'No stop plan: there is no idea.' };
  const idea = bestIdea(view.ideas);
  const sign = idea.direction === 'long' ? 1 : -1;
  const entry = idea.entry;
  const atr = view.volatility.atr;
  const atrDist = params.atr_mult * atr;
  const atrStop = entry - sign * atrDist;
  const ideaDist = sign * (entry - idea.stop);
  const mult = `atr ${f(params.atr_mult, 1)}x`;
  const atrText = `${mult} = ${params.atr_mult} x ATR ${px(atr)} = ${px(atrDist)} from entry -> ${px(atrStop)}`;

  let stop: number;
  let method: string;
  if (params.mode === 'idea_only') {
    stop = idea.stop;
    method = 'idea stop (mode idea_only)';
  } else if (params.mode === 'atr_only' || ideaDist <= atrDist) {
    stop = atrStop;
    method =
      params.mode === 'atr_only' ? `${mult} (mode atr_only)` : `${mult} (wider than the idea stop ${px(idea.stop)})`;
  } else {
    stop = idea.stop;
    method = `idea stop (wider than ${mult})`;
  }
  const head = `Best idea ${idea.direction} (score ${f(idea.score, 3)}) entry ${px(entry)}, idea stop ${px(idea.stop)}; ${atrText}`;
  if (!(sign * (entry - stop) > 0)) {
    return {
      outputs: {},
      rationale: `No stop plan: ${head}; the ${method} stop ${px(stop)} is not on the loss side of the entry.`,
    };
  }
  if (!(stop > 0))
    return { outputs: {}, rationale: `No stop plan: ${head}; the stop would be ${px(stop)}, not a positive price.` };
  return {
    outputs: { stop_plan: { direction: idea.direction, entry, stop, method } },
    rationale: `${head}. Stop ${px(stop)} (${method}, mode ${params.mode}), ${px(sign * (entry - stop))} from entry.`,
  };
};
