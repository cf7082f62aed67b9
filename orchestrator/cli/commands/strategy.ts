import type { Command } from 'commander';
import { strategyTarget } from '../../config-files/slot-targets.ts';
import { registerDocumentCommands } from './document-commands.ts';
import { registerStrategyGovernanceCommands } from './strategy-governance.ts';

export function registerStrategyCommands(program: Command): void {
  const strategy = program
    .command('strategy')
    .description('strategies as files (show, export, apply), their versions and the proposals of optimiser studies');
  registerDocumentCommands(strategy, {
    group: 'strategy',
    noun: 'strategy',
    target: () => strategyTarget,
    id: { arg: 'strategy_id' },
    example: {
      show: 'trader strategy show breakout',
      export: 'trader strategy export breakout --out breakout.yaml',
      apply: 'trader strategy apply breakout.yaml',
    },
  });
  registerStrategyGovernanceCommands(strategy);
}
