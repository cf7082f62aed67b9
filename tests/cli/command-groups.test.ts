import { spawn } from 'node:child_process';
import path from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../../core/paths.ts';
import { describe, expect, it } from 'vitest';
import { commandGroups, commandWord, groupsFor } from '../../orchestrator/cli/commands/index.ts';
import { registerOverview } from '../../orchestrator/cli/command-overview.ts';
import { newProgram } from '../../orchestrator/cli/program.ts';

/** main.ts loads only the command group a command line names (none for --help), so each group's `names` must be exactly what it registers. */
describe('CLI command groups', () => {
  it('each group registers exactly the top-level commands it lists, and no two groups share one', async () => {
    const seen = new Set<string>();
    for (const group of commandGroups) {
      const program = new Command('trader');
      (await group.load())(program);
      expect(program.commands.map((c) => c.name())).toEqual(group.names);
      for (const n of group.names) {
        expect(seen.has(n), n).toBe(false);
        seen.add(n);
      }
    }
  });

  it('loads the named group only; all of them for help, options or an unknown word', () => {
    expect(groupsFor(['status', '--json']).map((g) => g.names)).toEqual([['status']]);
    expect(groupsFor(['resume', '--yes']).map((g) => g.names)).toEqual([['halt', 'resume']]);
    expect(groupsFor(['halt', 'clear']).map((g) => g.names)).toEqual([['halt', 'resume']]);
    for (const argv of [[], ['--help'], ['--version'], ['bogus'], ['help', 'run']])
      expect(groupsFor(argv)).toBe(commandGroups);
  });
});

describe('trader --help', () => {
  it('lists, from the generated overview, exactly what loading every group lists', async () => {
    const full = newProgram();
    for (const group of commandGroups) (await group.load())(full);
    const overview = newProgram();
    registerOverview(overview);
    expect(overview.helpInformation()).toBe(full.helpInformation());
    expect(commandWord(['--help'])).toBeUndefined();
    expect(commandWord(['--version'])).toBeUndefined();
  });
});

describe('a reader that stops reading', () => {
  it('costs the command its output, not a crash: exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, [path.join(packageRoot, 'bin', 'trader.js'), 'backtest', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed long before the command starts writing (it takes a tenth of a second to start): its first write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
