import { checkDistributable, distributedRunner } from '../../distributed-run.ts';
import { bounds } from '../../../core/bounds.ts';
import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import { logger } from '../../../core/logger.ts';
import { prompter } from '../../../core/prompt.ts';
import type { Db } from '../../../store/db.ts';
import { assertMigrated } from '../../../store/migrate.ts';
import { openDb } from '../../../store/open.ts';
import { systemModeFromEnv } from '../../../trading/scope.ts';
import { nextTicks } from '../../schedule/cron.ts';
import type { TickResult } from '../../schedule/run-due.ts';
import { addSchedule, removeSchedule } from '../../schedule/schedule-admin.ts';
import { type ScheduleRow, scheduleLabel } from '../../schedule/schedule-row.ts';
import { localTime, listScheduleViews, type ScheduleListing } from '../../schedule/schedule-view.ts';
import { runScheduler } from '../../schedule/scheduler-loop.ts';
import { liveServiceReconciler } from '../../live-reconciliation.ts';
import { unlockForService } from '../../../trading/live-account/unlock.ts';
import { findSchedule } from '../../schedule/schedules-repo.ts';
import { requestScheduleRun } from '../../schedule/schedule-requests.ts';
import { RiskProfileName } from '../../../trading/state-repo.ts';
import { action, badInput, output, splitList, wholeNumber, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { withStudyFlags } from '../study-flags.ts';
import { scheduledJob, type JobFlags } from '../schedule-job.ts';
import { quote } from '../../../core/quote.ts';
import { requestStop } from '../../../sandbox/stop.ts';
import { table } from '../table.ts';

/** `trader schedule`: the built-in scheduler (cron schedules of pipeline runs) for users without n8n. */

interface AddFlags extends JsonFlag, JobFlags {
  symbols?: string;
  pipeline: string;
  timezone: string;
  name?: string;
  exchange: string;
  timeframe: string;
  history: string;
  graceMinutes: string;
}

function what(s: ScheduleRow): string {
  const keep = (r: { daily: number; weekly: number; monthly: number }) =>
    `keeping ${r.daily} daily, ${r.weekly} weekly, ${r.monthly} monthly`;
  switch (s.job) {
    case 'optimise': {
      const a = s.job_args;
      return `optimise ${a.strategies.join(',')} on ${s.symbols.join(',')} ${s.timeframe}, last ${a.lookback_days} days, ${a.settings.trials} ${a.settings.method} trials`;
    }
    case 'backup':
      return `backup to ${s.job_args.dir}, ${keep(s.job_args.retention)}`;
    case 'export':
      return `export ${s.job_args.kinds.join(',')} as ${s.job_args.format} to ${s.job_args.dir}, ${keep(s.job_args.retention)}`;
    case 'correlation':
      return 'lead-coin correlation analysis (when enable_correlation_analysis is true)';
    case 'run':
      return `${s.pipeline_id}${s.strategy_id ? `/${s.strategy_id}` : ''} ${s.symbols.join(',')} ${s.timeframe}${s.offline ? ' offline' : ''}`;
  }
}

/** `schedule list` for a human: one row per schedule under named columns. */
function scheduleTable(rows: ScheduleListing[]): string {
  return table(
    ['id', 'name', 'cron', 'timezone', 'mode', 'grace', 'runs', 'next tick', 'last tick'],
    rows.map((s) => [
      String(s.schedule_id),
      s.name ?? '',
      s.cron,
      s.timezone,
      s.system_mode,
      `${Math.round(s.grace_seconds / 60)} min`,
      what(s),
      `${s.next_tick} (${localTime(new Date(s.next_tick), s.timezone)})`,
      s.last_tick
        ? `${s.last_tick.tick} ${s.last_tick.status}${s.last_tick.missed > 1 ? ` (${s.last_tick.missed} ticks)` : ''}`
        : 'never',
    ]),
  );
}

function describeTick(r: TickResult): string {
  const who = r.name ? `${r.schedule_id} (${r.name})` : String(r.schedule_id);
  if (r.outcome === 'skipped')
    return `${r.tick}  schedule ${who}  skipped ${r.missed} missed tick${r.missed === 1 ? '' : 's'} since ${r.first_missed}`;
  if (r.outcome === 'ran')
    return `${r.tick}  schedule ${who}  ${r.status}${r.run_id ? `  run ${r.run_id}` : ''}${r.study_id ? `  study ${r.study_id}` : ''}${r.error ? `  ${r.error}` : ''}`;
  return `${r.tick}  schedule ${who}  not run here: ${r.outcome === 'taken' ? 'another scheduler claimed this tick' : 'its previous tick is still running'}`;
}

/** Opens the database for one scheduler wake, refusing an unmigrated one as every command does. */
async function openForWake(held: Db | null): Promise<Db> {
  const db = held ? { ...held, close: async () => {} } : await openDb({ command: 'trader schedule run' });
  try {
    await assertMigrated(db);
    return db;
  } catch (e) {
    await db.close();
    throw e;
  }
}

/**
 * The embedded database is held, and shared on its socket, for the scheduler's whole life when
 * no one else holds it; otherwise (Postgres, or another holder's socket) each wake opens it anew,
 * so a holder that stops between wakes is simply not needed at the next one.
 */
async function holdForLife(): Promise<Db | null> {
  if (process.env.DATABASE_URL) return null;
  const db = await openDb({ command: 'trader schedule run', share: true });
  if ('pglite' in db) return db;
  await db.close();
  return null;
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('the built-in scheduler: cron schedules of pipeline runs (for use without n8n)');

  const add = withStudyFlags(withJson(schedule.command('add <cron>')))
    .description(
      'add a schedule: at every tick of a cron expression (quote it), run the pipeline for the symbols, (--job optimise) study strategies on them, (--job backup|export) back up or export the database, or (--job correlation) run the lead-coin correlation analysis',
    )
    .option('--symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT (--job run and optimise)')
    .option(
      '--job <kind>',
      'run (the pipeline), optimise (a walk-forward study over the days before each tick), backup, export or correlation (the lead-coin analysis, when enabled)',
      'run',
    )
    .option('--to <dir>', '--job backup|export: the folder (default: backups/ or exports/ in TRADER_HOME)')
    .option(
      '--passphrase-file <file>',
      '--job backup: the passphrase file the scheduler reads (default: its TRADER_BACKUP_PASSPHRASE)',
    )
    .option('--keep-daily <n>', '--job backup|export: newest copy of each of the last n days kept (default 7)')
    .option('--keep-weekly <n>', '--job backup|export: ... of the last n ISO weeks (default 4)')
    .option('--keep-monthly <n>', '--job backup|export: ... of the last n months (default 12)')
    .option(
      '--offsite',
      '--job backup: then copy each backup to the offsite bucket and rotate the copies there (needs `trader backup offsite set` and `offsite key-file`)',
    )
    .option('--tables <list>', '--job export: trades, runs, audit (default trades,audit)')
    .option('--format <format>', '--job export: csv or jsonl (default csv)')
    .option('--lookback-days <n>', '--job optimise: days of candles before each tick to study (default 1095)')
    .option(
      '--strategy <id>',
      'a strategy from strategy_config (--job optimise: the strategies to study, comma-separated)',
    )
    .option('--pipeline <id>', 'pipeline_config pipeline id', 'default')
    .option('--timezone <zone>', 'IANA time zone the cron expression is read in', 'UTC')
    .option('--name <name>', 'a unique name to refer to it by')
    .option('--exchange <id>', 'exchange whose candles to use', 'binance')
    .option('--timeframe <tf>', 'candle timeframe', '1h')
    .option('--history <bars>', 'closed candles handed to modules', '500')
    .option('--offline', 'decide on cached candles only (no fetch before each run)')
    .option('--grace-minutes <n>', 'a tick found later than this (scheduler down or busy) is skipped, not run', '10')
    .addHelpText(
      'after',
      '\nExamples:\n  $ trader schedule add "5 * * * *" --symbols BTC/USDT,ETH/USDT --timezone Europe/Berlin --name hourly\n  $ trader schedule add "0 2 * * 0" --job optimise --strategy breakout,trend_following --symbols BTC/USDT,ETH/USDT --trials 200 --name weekly-study\n  $ trader schedule add "0 3 * * *" --job backup --passphrase-file ~/.trader-backup-pass --name nightly-backup\n  $ trader schedule add "30 3 * * *" --job export --tables trades,audit --name nightly-export\n  $ trader schedule add "5 * * * *" --job correlation --name hourly-correlation\n\nFive fields: minute hour day-of-month month day-of-week. A study tick runs for minutes: give studies a scheduler of their own (`schedule run --job optimise`) so pipeline ticks are never late.\nExit codes: 0 added, 2 invalid cron expression, time zone, symbol, name or study flag, or unknown pipeline/strategy.',
    );
  add.action(
    action(async (cron: string, flags: AddFlags) => {
      const { study, operation } = await scheduledJob(add, flags);
      if (!operation && !flags.symbols) throw badInput(`--job ${flags.job} needs --symbols, e.g. --symbols BTC/USDT.`);
      const historyBars = wholeNumber(flags.history, '--history', 1, bounds.historyBars);
      const graceMinutes = wholeNumber(flags.graceMinutes, '--grace-minutes', 0, bounds.graceMinutes);
      const now = new Date();
      const row = await withDb('schedule add', (db) =>
        addSchedule(
          db,
          {
            cron,
            timezone: flags.timezone,
            symbols: flags.symbols ? splitList(flags.symbols) : [],
            name: flags.name ?? null,
            pipelineId: flags.pipeline,
            strategyId: flags.strategy ?? null,
            exchange: flags.exchange,
            timeframe: flags.timeframe,
            historyBars,
            offline: flags.offline ?? false,
            graceSeconds: graceMinutes * 60,
            study,
            operation,
          },
          { now },
        ),
      );
      const upcoming = nextTicks(row.cron, row.timezone, now, 3);
      output(flags, { ok: true, schedule: row, next_ticks: upcoming.map((t) => t.toISOString()) }, () =>
        [
          `added ${scheduleLabel(row)}: '${row.cron}' in ${row.timezone} (${row.system_mode}), runs ${what(row)}`,
          ...upcoming.map((t) => `  next  ${t.toISOString()}  (${localTime(t, row.timezone)})`),
          'Start `trader schedule run` to run it.',
        ].join('\n'),
      );
    }),
  );

  withJson(schedule.command('list'))
    .description('list schedules with their next tick and the newest recorded tick')
    .addHelpText('after', '\nExample:\n  $ trader schedule list --json')
    .action(
      action(async (opts: JsonFlag) => {
        const rows = await withDb('schedule list', (db) => listScheduleViews(db, new Date()));
        output(opts, { ok: true, schedules: rows }, () =>
          rows.length === 0
            ? 'No schedules; add one with `trader schedule add "0 * * * *" --symbols BTC/USDT`.'
            : scheduleTable(rows),
        );
      }),
    );

  withJson(schedule.command('remove <id_or_name>'))
    .description(
      'remove a schedule and its tick history (a run in progress finishes; the audit trail keeps the record)',
    )
    .option('--yes', 'skip the confirmation question')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader schedule remove hourly --yes\n\nExit codes: 0 removed, 2 unknown schedule or declined confirmation.',
    )
    .action(
      action(async (ref: string, opts: JsonFlag & { yes?: boolean }) => {
        const removed = await withDb('schedule remove', async (db) => {
          const row = await findSchedule(db, ref);
          if (
            !(await prompter.confirm(
              `Remove ${scheduleLabel(row)} ('${row.cron}' in ${row.timezone}, ${what(row)})?`,
              opts.yes,
            ))
          ) {
            throw new TraderError('BAD_INPUT', `${scheduleLabel(row)} was not removed: the confirmation was declined.`);
          }
          return removeSchedule(db, String(row.schedule_id));
        });
        output(opts, { ok: true, removed }, () => `removed ${scheduleLabel(removed)}`);
      }),
    );

  withJson(schedule.command('trigger <id_or_name>'))
    .description(
      "run a schedule's job now (e.g. a manual optimisation): the running scheduler (`trader schedule run`) takes the request at its next wake, within a minute, and runs it as a tick",
    )
    .option(
      '--profile <name>',
      "for a study: optimise for this risk profile (low, medium, high) instead of the schedule's",
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader schedule trigger weekly-study --profile low\n  $ trader schedule run --once    # or let the running scheduler take it\n\nExit codes: 0 requested (or already waiting), 2 unknown schedule, another system mode, or a profile for a pipeline schedule.',
    )
    .action(
      action(async (ref: string, opts: JsonFlag & { profile?: string }) => {
        const profile = opts.profile === undefined ? undefined : RiskProfileName.safeParse(opts.profile);
        if (profile && !profile.success)
          throw badInput(`--profile must be low, medium or high, not ${quote(opts.profile!)}.`);
        const r = await withDb('schedule trigger', (db) =>
          requestScheduleRun(db, ref, { by: 'cli', mode: systemModeFromEnv(), profile: profile?.data }),
        );
        output(opts, { ok: true, ...r }, () =>
          r.already_waiting
            ? `${scheduleLabel(r.schedule)} was already requested at ${r.request.requested_at.toISOString()}; it runs at the scheduler's next wake`
            : `${scheduleLabel(r.schedule)} requested; the scheduler runs it at its next wake (\`trader schedule list\` shows the tick)`,
        );
      }),
    );

  withJson(schedule.command('run'))
    .description(
      'run the schedules of this system mode: wake at each due tick, run the pipeline, until SIGINT/SIGTERM (a running run is interrupted and closed as failed)',
    )
    .option('--once', 'run the ticks due now (applying the missed-run policy) and exit')
    .option('--job <kind>', 'only schedules of this job: run or optimise (default: both)')
    .option(
      '--distributed',
      "Postgres: each tick's symbols are decided by `trader worker` processes; the scheduler waits for the run's summary",
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader schedule run            # long-running; Ctrl-C stops it within 5 s (a run in progress is closed as failed)\n  $ trader schedule run --once --json\n  $ trader schedule run --job optimise   # a second process for studies, so pipeline ticks are never held up\n\nMissed ticks: only the newest, if at most --grace-minutes late, runs; older ones are recorded as skipped.\nExit codes: 0 stopped cleanly (with --once: every tick that ran succeeded), 1 a tick that ran did not succeed (--once), 2 bad configuration, 4 the embedded database is locked at start.',
    )
    .action(
      action(async (opts: JsonFlag & { once?: boolean; job?: string; distributed?: boolean }) => {
        if (opts.job !== undefined && opts.job !== 'run' && opts.job !== 'optimise')
          throw badInput(`--job must be run or optimise, not ${quote(opts.job)}.`);
        const job = opts.job;
        const mode = systemModeFromEnv();
        const controller = new AbortController();
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          signals++;
          if (signals === 1) {
            logger.warn(
              `${sig}: the scheduler stops, interrupting the run in progress (send it again to stop at once)`,
            );
            controller.abort();
            requestStop(sig);
          } else {
            process.stderr.write('trader: stopped at once; a run that was in progress will be reaped as crashed.\n');
            process.exit(130);
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        logger.info({ mode, once: opts.once ?? false }, 'scheduler started');
        const held = await holdForLife();
        try {
          const first = await openForWake(held);
          if (opts.distributed) {
            try {
              checkDistributable(first);
            } catch (e) {
              await first.close();
              throw e;
            }
          }
          // LIVE: the audit trail is verified and the account reconciled before the first tick runs.
          const reconciler = await unlockForService(first, mode)
            .then((keys) => liveServiceReconciler(first, keys))
            .finally(() => first.close());
          const report = await runScheduler({
            openDb: () => openForWake(held),
            ...(reconciler
              ? {
                  pollMs: Math.min(60_000, reconciler.intervalMs),
                  beforeTicks: async (db: Db) => void (await reconciler.ifDue(db)),
                }
              : {}),
            signal: controller.signal,
            once: opts.once ?? false,
            ...(opts.distributed ? { runner: distributedRunner } : {}),
            ...(job ? { job } : {}),
            onTick: opts.json ? undefined : (r) => process.stdout.write(`${describeTick(r)}\n`),
          });
          // A tick its job skipped by design (correlation while the analysis is off) is no failure.
          const bad = report.ticks.filter(
            (t) => t.outcome === 'ran' && t.status !== 'succeeded' && t.status !== 'skipped',
          );
          const ok = !opts.once || bad.length === 0;
          if (opts.json)
            output(
              opts,
              { ok, mode, stopped_by: opts.once ? 'once' : 'signal', wakes: report.wakes, ticks: report.ticks },
              () => '',
            );
          else if (opts.once && report.ticks.length === 0) process.stdout.write('No tick due.\n');
          return ok ? 0 : 1;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await held?.close();
        }
      }),
    );
}
