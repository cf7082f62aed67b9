import { contextKeys, defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

const sessionNames = contextKeys.session.schema.shape.name.options;
const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/**
 * One verdict per symbol from the session context: blocks when the session at as_of is listed in
 * `blocked_sessions`, and (only if `block_weekend` is on) when as_of falls on a weekend (the
 * session's weekend flag, Saturday/Sunday UTC). Default: block `off_hours` only, the thin gap
 * between the New York close and the Asia open, and trade weekends. An empty list with
 * block_weekend off makes the filter allow everything. Both failed checks are named at once.
 */
export const manifest = defineManifest({
  module_id: 'session_filter_v1',
  version: '1.0.0',
  logic_type: 'filter',
  description: 'Blocks decisions made in configured trading sessions (default off_hours) and, optionally, on weekends.',
  input_keys: ['session'],
  output_keys: ['filter_verdicts'],
  params: z
    .object({
      blocked_sessions: z
        .array(z.enum(sessionNames))
        .default(['off_hours'])
        .describe(
          'sessions in which no new trade is allowed (asia, london, london_new_york_overlap, new_york, off_hours); [] blocks none',
        ),
      block_weekend: z.boolean().default(false).describe('also block on Saturday and Sunday (UTC)'),
    })
    .strict()
    .refine((p) => new Set(p.blocked_sessions).size === p.blocked_sessions.length, {
      message: 'blocked_sessions must not repeat a session',
      path: ['blocked_sessions'],
    }),
});

const pad = (h: number) => String(h).padStart(2, '0');

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const s = view.session;
  const when = `${pad(s.hour_utc)}:00 UTC ${days[s.day_of_week] ?? `day ${s.day_of_week}`}`;
  const list = `[${params.blocked_sessions.join(', ')}]`;
  const problems: string[] = [];
  const figures: string[] = [];

  if (params.blocked_sessions.includes(s.name))
    problems.push(`session ${s.name} at ${when} is in blocked sessions ${list}`);
  else figures.push(`session ${s.name} at ${when} not in blocked sessions ${list}`);

  if (s.weekend && params.block_weekend)
    problems.push(`${days[s.day_of_week] ?? 'weekend'} is a weekend day and block_weekend is on`);
  else figures.push(s.weekend ? 'weekend, but block_weekend is off' : 'weekday');

  const allow = problems.length === 0;
  const reason = allow ? `allow: ${figures.join('; ')}` : `block: ${problems.join('; ')}`;
  return {
    outputs: { filter_verdicts: [{ allow, reason }] },
    rationale: allow ? `Allowed because ${figures.join('; ')}.` : `Blocked because ${problems.join('; ')}.`,
  };
};
