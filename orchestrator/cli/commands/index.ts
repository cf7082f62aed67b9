import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every CLI command group, in the order `trader --help` lists them: the top-level names
 * each file registers, and how to load it. main.ts loads only the group a command line
 * names (a process that runs `trader status` never loads the pipeline or ccxt), none for
 * `--help` (command-overview.ts), and all of them for an unknown command.
 */
export const commandGroups: { names: string[]; load: () => Promise<Register> }[] = [
  { names: ['run'], load: async () => (await import('./run.ts')).registerRunCommand },
  { names: ['backtest'], load: async () => (await import('./backtest.ts')).registerBacktestCommands },
  { names: ['parity'], load: async () => (await import('./parity.ts')).registerParityCommand },
  { names: ['optimise'], load: async () => (await import('./optimise.ts')).registerOptimiseCommands },
  { names: ['runs'], load: async () => (await import('./runs.ts')).registerRunsCommands },
  { names: ['pipeline'], load: async () => (await import('./pipeline.ts')).registerPipelineCommands },
  { names: ['strategy'], load: async () => (await import('./strategy.ts')).registerStrategyCommands },
  { names: ['module'], load: async () => (await import('./module.ts')).registerModuleCommands },
  { names: ['db'], load: async () => (await import('./db.ts')).registerDbCommands },
  { names: ['data'], load: async () => (await import('./data.ts')).registerDataCommands },
  { names: ['macro'], load: async () => (await import('./macro.ts')).registerMacroCommands },
  { names: ['schema'], load: async () => (await import('./schema.ts')).registerSchemaCommands },
  { names: ['config'], load: async () => (await import('./config.ts')).registerConfigCommands },
  { names: ['status'], load: async () => (await import('./status.ts')).registerStatusCommand },
  { names: ['mode'], load: async () => (await import('./mode.ts')).registerModeCommands },
  { names: ['risk'], load: async () => (await import('./risk.ts')).registerRiskCommands },
  { names: ['proposals'], load: async () => (await import('./proposals.ts')).registerProposalsCommands },
  {
    names: ['positions', 'trades', 'paper'],
    load: async () => (await import('./positions.ts')).registerPositionsCommands,
  },
  { names: ['halt', 'resume'], load: async () => (await import('./halt.ts')).registerHaltCommands },
  { names: ['leverage'], load: async () => (await import('./leverage.ts')).registerLeverageCommands },
  { names: ['secrets'], load: async () => (await import('./secrets.ts')).registerSecretsCommands },
  { names: ['live'], load: async () => (await import('./live.ts')).registerLiveCommands },
  { names: ['reconcile'], load: async () => (await import('./reconcile.ts')).registerReconcileCommand },
  { names: ['audit'], load: async () => (await import('./audit.ts')).registerAuditCommands },
  { names: ['events'], load: async () => (await import('./events.ts')).registerEventsCommands },
  { names: ['schedule'], load: async () => (await import('./schedule.ts')).registerScheduleCommands },
  { names: ['backup', 'restore'], load: async () => (await import('./backup.ts')).registerBackupCommands },
  { names: ['export'], load: async () => (await import('./export.ts')).registerExportCommand },
  { names: ['correlation'], load: async () => (await import('./correlation.ts')).registerCorrelationCommands },
  { names: ['serve'], load: async () => (await import('./serve.ts')).registerServeCommands },
  { names: ['worker'], load: async () => (await import('./worker.ts')).registerWorkerCommand },
  { names: ['jobs'], load: async () => (await import('./jobs.ts')).registerJobsCommands },
];

/** The command a command line names: its first word that is not an option. */
export const commandWord = (argv: readonly string[]) => argv.find((a) => !a.startsWith('-'));

/** The groups to load for a command line: the one its first word names, else all. */
export function groupsFor(argv: readonly string[]): typeof commandGroups {
  const word = commandWord(argv);
  const named = commandGroups.filter((g) => word !== undefined && g.names.includes(word));
  return named.length > 0 ? named : commandGroups;
}
