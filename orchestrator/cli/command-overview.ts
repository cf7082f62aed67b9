import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../core/paths.ts';
import { commandGroups } from './commands/index.ts';
import { newProgram } from './program.ts';

/**
 * `trader --help` lists every command with its one-line description. Loading every
 * command group to print that list costs more than the rest of the start together, so
 * the list is generated from the real commands into a file (`trader schema docs`, checked
 * by tests like every generated document) and read instead.
 */

export const commandOverviewRelPath = 'orchestrator/cli/commands/overview.json';

interface OverviewEntry {
  name: string;
  /** How the help names it: "run [options]", "runs". */
  term: string;
  description: string;
}

export async function renderCommandOverview(): Promise<string> {
  const program = newProgram();
  for (const group of commandGroups) (await group.load())(program);
  const help = program.createHelp();
  const entries: OverviewEntry[] = program.commands.map((c) => ({
    name: c.name(),
    term: help.subcommandTerm(c),
    description: c.description(),
  }));
  return `${JSON.stringify(entries, null, 2)}\n`;
}

/** Adds the overview's commands to `program` for its help and usage errors: names and descriptions, no actions. */
export function registerOverview(program: Command): void {
  const entries = JSON.parse(
    fs.readFileSync(path.join(packageRoot, commandOverviewRelPath), 'utf8'),
  ) as OverviewEntry[];
  const terms = new Map(entries.map((e) => [e.name, e.term]));
  for (const e of entries) program.command(e.name).description(e.description);
  const standard = program.createHelp();
  program.configureHelp({ subcommandTerm: (c) => terms.get(c.name()) ?? standard.subcommandTerm(c) });
}
