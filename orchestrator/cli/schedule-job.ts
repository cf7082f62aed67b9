import type { Command } from 'commander';
import { quote } from '../../core/quote.ts';
import type { ScheduledStudy } from '../schedule/scheduled-study.ts';
import { badInput, splitList, wholeNumber } from './command-kit.ts';
import { studyFlagNames, studySettings, type StudyFlags } from './study-flags.ts';

/** The flags of `schedule add` that say what a tick does: run the pipeline, or study strategies. */
export interface JobFlags extends StudyFlags {
  job: string;
  lookbackDays?: string;
  strategy?: string;
  offline?: boolean;
}

/**
 * The study a `--job optimise` schedule runs at each tick, from its flags; a `--job run`
 * schedule refuses the study flags rather than ignore them.
 */
export async function scheduledStudy(cmd: Command, flags: JobFlags): Promise<ScheduledStudy | undefined> {
  const job = flags.job;
  if (job !== 'run' && job !== 'optimise') throw badInput(`--job must be run or optimise, not ${quote(job)}.`);
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  if (job === 'run') {
    const stray = [...studyFlagNames, 'lookbackDays'].find(given);
    if (stray)
      throw badInput(
        `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --job optimise only; a pipeline run does not study.`,
      );
    return undefined;
  }
  if (flags.offline) throw badInput('--offline applies to --job run only; a study always replays cached candles.');
  if (!flags.strategy)
    throw badInput('--job optimise needs --strategy: the strategy (or a comma-separated list) to study.');
  return {
    strategies: splitList(flags.strategy),
    lookback_days: wholeNumber(flags.lookbackDays ?? '1095', '--lookback-days', 30, 5000),
    settings: await studySettings(flags),
  };
}
