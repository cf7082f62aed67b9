import type { Command } from 'commander';
import { registerDataCommands } from './data.ts';
import { registerDbCommands } from './db.ts';
import { registerMacroCommands } from './macro.ts';
import { registerModuleCommands } from './module.ts';
import { registerPipelineCommands } from './pipeline.ts';
import { registerRunCommand } from './run.ts';
import { registerRunsCommands } from './runs.ts';
import { registerSchemaCommands } from './schema.ts';

/** Every CLI command group, in the order `trader --help` lists them. */
export const commands: ((program: Command) => void)[] = [registerRunCommand, registerRunsCommands, registerPipelineCommands, registerModuleCommands, registerDbCommands, registerDataCommands, registerMacroCommands, registerSchemaCommands];
