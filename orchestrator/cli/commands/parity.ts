import type { Command } from 'commander';
import { parseUtcTime } from '../../../core/time.ts';
import { runParity } from '../../../backtest/parity/run-parity.ts';
import { resolveWindow, type PartialWindow } from '../../../backtest/parity/parity-load.ts';
import { badInput, stoppableAction, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { renderParity } from './parity-text.ts';

/** `trader parity`: recorded runs against the backtest engine's decisions, and real fills against the fill model. */

export interface WindowFlags {
  from?: string;
  to?: string;
}

/** --from (inclusive) and --to (exclusive) as UTC times, checked before the database is opened; what is left out, resolveWindow fills in. */
export function windowOf(flags: WindowFlags): PartialWindow {
  const w = {
    ...(flags.from === undefined ? {} : { from: parseUtcTime(flags.from, '--from') }),
    ...(flags.to === undefined ? {} : { to: parseUtcTime(flags.to, '--to') }),
  };
  if (w.from && w.to && w.from.getTime() >= w.to.getTime()) throw badInput('--from must be before --to.');
  return w;
}

export function registerParityCommand(program: Command): void {
  withJson(program.command('parity'))
    .description(
      'replay every recorded run of a window through the backtest engine and compare decisions and fills; exit 1 when a difference has no explained cause',
    )
    .option('--from <time>', 'runs decided from this UTC time on (inclusive; default: 30 days before --to)')
    .option('--to <time>', 'runs decided before this UTC time (exclusive; default: just after the newest recorded run)')
    .option('--pipeline <id>', 'only runs of this pipeline')
    .addHelpText(
      'after',
      '\nCauses: candles_changed, plan_changed, data_gap, unexplained (exit 1).\n\nExample:\n  $ trader parity --from 2026-11-01 --to 2026-12-01 --pipeline default',
    )
    .action(
      stoppableAction(async (flags: JsonFlag & WindowFlags & { pipeline?: string }) => {
        const w = windowOf(flags);
        if (flags.pipeline !== undefined && flags.pipeline.trim() === '')
          throw badInput('--pipeline must not be empty.');
        const pipelineId = flags.pipeline ?? null;
        const report = await withDb('parity', async (db) =>
          runParity(db, { ...(await resolveWindow(db, w, pipelineId)), pipelineId }),
        );
        output(flags, report, () => renderParity(report));
        // Exit 1: the documented failure code (core/errors.ts), as `trader run` answers a partial run.
        return report.ok ? 0 : 1;
      }),
    );
}
