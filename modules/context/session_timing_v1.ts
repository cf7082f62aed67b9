import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * Trading session and weekend flag at the run's decision time (`run.as_of`, read in UTC).
 *
 * Sessions are half-open UTC hour ranges set by five start hours (defaults):
 *   asia [0, 7), london [7, 12), london_new_york_overlap [12, 16), new_york [16, 21),
 *   off_hours [21, 24) and also [0, asia_start) when asia does not start at midnight.
 * So 06:59 is asia and 07:00 is london. A zero-length session (two equal starts) never occurs.
 * `weekend` is true on Saturday and Sunday UTC; `day_of_week` is 0 = Sunday ... 6 = Saturday.
 * Only the hour matters: minutes and seconds never change the session.
 */
const hour = (def: number, what: string) =>
  z.number().int().min(0).max(24).default(def).describe(`UTC hour (0-24) at which ${what} starts`);

export const manifest = defineManifest({
  module_id: 'session_timing_v1',
  version: '1.0.0',
  logic_type: 'context',
  description:
    'Trading session (asia, london, London/New York overlap, new_york, off_hours) and weekend flag at as_of, from UTC hours.',
  input_keys: ['run'],
  output_keys: ['session'],
  params: z
    .object({
      asia_start_hour: hour(0, 'the asia session'),
      london_start_hour: hour(7, 'the london session (asia ends)'),
      overlap_start_hour: hour(12, 'the London/New York overlap (london alone ends)'),
      new_york_start_hour: hour(16, 'new_york alone (the overlap ends)'),
      off_hours_start_hour: hour(21, 'off_hours (new_york ends); off_hours runs to midnight'),
    })
    .strict()
    .refine(
      (p) =>
        p.asia_start_hour <= p.london_start_hour &&
        p.london_start_hour <= p.overlap_start_hour &&
        p.overlap_start_hour <= p.new_york_start_hour &&
        p.new_york_start_hour <= p.off_hours_start_hour,
      {
        message: 'session start hours must be in order: asia <= london <= overlap <= new_york <= off_hours',
        path: ['asia_start_hour'],
      },
    ),
});

type SessionName = 'asia' | 'london' | 'london_new_york_overlap' | 'new_york' | 'off_hours';
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const asOf = view.run.as_of;
  const t = Date.parse(asOf);
  if (!Number.isFinite(t)) throw new Error(`run.as_of is not a valid timestamp: ${asOf}`);
  const d = new Date(t);
  const h = d.getUTCHours();
  const dow = d.getUTCDay();

  const ranges: [SessionName, number, number][] = [
    ['asia', params.asia_start_hour, params.london_start_hour],
    ['london', params.london_start_hour, params.overlap_start_hour],
    ['london_new_york_overlap', params.overlap_start_hour, params.new_york_start_hour],
    ['new_york', params.new_york_start_hour, params.off_hours_start_hour],
  ];
  const hit = ranges.find(([, from, to]) => h >= from && h < to);
  const name: SessionName = hit ? hit[0] : 'off_hours';
  const window = hit
    ? `[${hh(hit[1])}, ${hh(hit[2])})`
    : params.asia_start_hour > 0
      ? `[${hh(params.off_hours_start_hour)}, 24:00) or [00:00, ${hh(params.asia_start_hour)})`
      : `[${hh(params.off_hours_start_hour)}, 24:00)`;
  const weekend = dow === 0 || dow === 6;

  return {
    outputs: { session: { name, weekend, hour_utc: h, day_of_week: dow } },
    rationale:
      `as_of ${d.toISOString()} is ${DAYS[dow]} ${hh(h)} UTC: session ${name} (its window is ${window} UTC); ` +
      `${weekend ? 'weekend (Saturday/Sunday UTC)' : 'weekday'}.`,
  };
};
