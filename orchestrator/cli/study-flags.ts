import type { Command } from 'commander';
import { defaultWorkers } from '../../backtest/run-many.ts';
import { quote } from '../../core/quote.ts';
import { objectives, type Objective } from '../../optimise/objective.ts';
import type { StudySettings } from '../../optimise/plan-study.ts';
import { StudyFile } from '../../optimise/study-file.ts';
import { StudyMethod } from '../../optimise/study-request.ts';
import { RiskProfileName } from '../../trading/state-repo.ts';
import { parseFile, readYamlFile } from '../config-files/yaml-file.ts';
import { badInput, moneyAmount, wholeNumber } from './command-kit.ts';

/**
 * The flags of how a study searches and scores, shared by `trader optimise` and
 * `trader schedule add --job optimise`, so both read and check them the same way.
 */
export interface StudyFlags {
  profile?: string;
  trials: string;
  method: string;
  gridLevels: string;
  walkForward: string;
  mode: string;
  objective: string;
  minTrades: string;
  seed: string;
  workers?: string;
  study?: string;
  equity: string;
  feeBps: string;
  slippageBps: string;
}

/** The options' attribute names, for a command that must refuse them where they mean nothing. */
export const studyFlagNames: readonly (keyof StudyFlags)[] = [
  'profile',
  'trials',
  'method',
  'gridLevels',
  'walkForward',
  'mode',
  'objective',
  'minTrades',
  'seed',
  'workers',
  'study',
  'equity',
  'feeBps',
  'slippageBps',
];

export function withStudyFlags(cmd: Command): Command {
  return cmd
    .option('--profile <name>', "target risk profile: low, medium or high (default: this mode's active one)")
    .option('--trials <n>', 'trials per strategy, spread over the walk-forward windows', '100')
    .option('--method <name>', 'tpe, random or grid', 'tpe')
    .option('--grid-levels <n>', 'grid: values per continuous parameter', '5')
    .option('--walk-forward <windows>', 'walk-forward windows (each fits on 3 segments, tests on the next)', '5')
    .option('--mode <mode>', 'rolling (fit on the last 3 segments) or anchored (fit on everything before)', 'rolling')
    .option('--objective <name>', `what a trial maximises: ${objectives.join(', ')}`, 'sortino')
    .option('--min-trades <n>', 'trades a trial needs in its fitting span to be feasible', '20')
    .option('--seed <n>', 'the same seed and workers give the same study, trial for trial', '1')
    .option('--workers <n>', 'trials run side by side, one module worker each (default: one per core)')
    .option('--study <file>', 'a study file: per strategy, the space to search, ties and fixed values')
    .option('--equity <amount>', 'starting equity of every trial', '10000')
    .option('--fee-bps <n>', 'fee per fill in basis points', '10')
    .option('--slippage-bps <n>', 'adverse slippage per fill in basis points', '5');
}

function oneOf<T extends string>(value: string, flag: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw badInput(`${flag} must be ${allowed.join(', ')}, not ${quote(value)}.`);
  return value as T;
}

function basisPoints(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1000)) throw badInput(`${flag} must be between 0 and 1000 basis points.`);
  return n;
}

/** Every study flag checked, one sentence naming the first that is wrong; the study file read and checked too. */
export async function studySettings(flags: StudyFlags): Promise<StudySettings> {
  return {
    profile: flags.profile === undefined ? undefined : oneOf(flags.profile, '--profile', RiskProfileName.options),
    trials: wholeNumber(flags.trials, '--trials', 1, 100_000),
    method: oneOf(flags.method, '--method', StudyMethod.options),
    gridLevels: wholeNumber(flags.gridLevels, '--grid-levels', 2, 50),
    windows: wholeNumber(flags.walkForward, '--walk-forward', 1, 50),
    mode: oneOf(flags.mode, '--mode', ['rolling', 'anchored'] as const),
    objective: oneOf<Objective>(flags.objective, '--objective', objectives),
    minTrades: wholeNumber(flags.minTrades, '--min-trades', 1, 100_000),
    seed: wholeNumber(flags.seed, '--seed', 0, 2 ** 31 - 1),
    workers: flags.workers === undefined ? defaultWorkers() : wholeNumber(flags.workers, '--workers', 1, 64),
    initialEquity: moneyAmount(flags.equity, '--equity'),
    feeBps: basisPoints(flags.feeBps, '--fee-bps'),
    slippageBps: basisPoints(flags.slippageBps, '--slippage-bps'),
    studyFile: flags.study ? parseFile(StudyFile, await readYamlFile(flags.study), 'study').strategies : undefined,
  };
}
