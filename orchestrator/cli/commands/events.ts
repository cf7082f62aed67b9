import type { Command } from 'commander';
import { lastEventSeq, type BusEvent } from '../../../trading/events/bus-events.ts';
import { tailEvents } from '../../../trading/events/tail-events.ts';
import { systemModeFromEnv } from '../../../trading/scope.ts';
import { action, withDb, wholeNumber, withJson, type JsonFlag } from '../command-kit.ts';

/** `trader events tail`: the event bus as lines on a terminal, or JSON lines for a script. */

function line(e: BusEvent): string {
  const p = e.payload;
  const about = p.entity_type ? `  ${p.entity_type} ${p.entity_id ?? ''}`.trimEnd() : '';
  const audit = p.audit_seq ? `  (audit #${p.audit_seq})` : '';
  return `${e.seq}  ${e.ts.toISOString()}  ${e.mode.padEnd(6)} ${e.event_type}${p.status ? ` ${p.status}` : ''}${about}${audit}`;
}

export function registerEventsCommands(program: Command): void {
  const events = program
    .command('events')
    .description('the event bus: runs, proposals, fills, halts and changes of mode, profile, leverage and strategy');

  withJson(events.command('tail'))
    .description("follow this system mode's events as they commit (and SYSTEM ones), until Ctrl-C")
    .option('--after <seq>', 'start after this event (0: every event kept); default: only new ones')
    .option('--once', 'print the events there are now and exit')
    .addHelpText(
      'after',
      '\nExamples:\n  $ trader events tail\n  $ trader events tail --after 0 --once --json   # JSON lines: seq, ts, mode, event_type, payload\n\nEach event names what it is about and the audit row with its details (`trader audit show <seq>`).',
    )
    .action(
      action(async (opts: JsonFlag & { after?: string; once?: boolean }) => {
        const mode = systemModeFromEnv();
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const print = (e: BusEvent) => void process.stdout.write(`${opts.json ? JSON.stringify(e) : line(e)}\n`);
        try {
          await withDb(
            'events tail',
            async (db) => {
              const after = opts.after === undefined ? await lastEventSeq(db) : wholeNumber(opts.after, '--after', 0);
              await tailEvents(db, {
                after,
                modes: [mode, 'SYSTEM'],
                signal: controller.signal,
                onEvent: print,
                untilCaughtUp: opts.once ?? false,
              });
            },
            { share: true },
          );
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }),
    );
}
