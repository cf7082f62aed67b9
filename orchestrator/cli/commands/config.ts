import type { Command } from 'commander';
import { systemTarget } from '../../config-files/system-target.ts';
import { systemModeFromEnv, tradingScope } from '../../../trading/scope.ts';
import { registerDocumentCommands } from './document-commands.ts';

export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description("the system's settings as one YAML file: show, export, apply (see config.example.yaml)");
  registerDocumentCommands(config, {
    group: 'config',
    noun: 'configuration',
    target: () => systemTarget(tradingScope(systemModeFromEnv())),
    id: { fixed: () => systemModeFromEnv() },
    example: {
      show: 'trader config show',
      export: 'trader config export --out config.yaml',
      apply: 'trader config apply config.example.yaml',
    },
  });
}
