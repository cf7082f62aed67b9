import type { Command } from 'commander';
import { registerAuditCommands } from './audit.ts';
import { registerDataCommands } from './data.ts';
import { registerDbCommands } from './db.ts';
import { registerHaltCommands } from './halt.ts';
import { registerLeverageCommands } from './leverage.ts';
import { registerMacroCommands } from './macro.ts';
import { registerModeCommands } from './mode.ts';
import { registerModuleCommands } from './module.ts';
import { registerPipelineCommands } from './pipeline.ts';
import { registerPositionsCommands } from './positions.ts';
import { registerProposalsCommands } from './proposals.ts';
import { registerRiskCommands } from './risk.ts';
import { registerRunCommand } from './run.ts';
import { registerRunsCommands } from './runs.ts';
import { registerSchemaCommands } from './schema.ts';
import { registerSecretsCommands } from './secrets.ts';
import { registerStatusCommand } from './status.ts';

/** Every CLI command group, in the order `trader --help` lists them. */
export const commands: ((program: Command) => void)[] = [registerRunCommand, registerRunsCommands, registerPipelineCommands, registerModuleCommands, registerDbCommands, registerDataCommands, registerMacroCommands, registerSchemaCommands, registerProposalsCommands, registerSecretsCommands, registerAuditCommands, registerRiskCommands, registerStatusCommand, registerPositionsCommands, registerModeCommands, registerHaltCommands, registerLeverageCommands];
