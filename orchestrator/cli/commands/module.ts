import path from 'node:path';
import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import { modulesRoot } from '../../../core/paths.ts';
import { getModule, listModules, setModuleActive } from '../../../registry/registry-repo.ts';
import type { RegistryRow } from '../../../registry/rows.ts';
import type { Queryable } from '../../../store/db.ts';
import { loadModule } from '../../../engine/loader/module-loader.ts';
import { auditRegistryChange, registerAudited } from '../../audited-registration.ts';
import { readModuleFile } from '../../registration.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { importGraphText } from './module-graph-text.ts';

/** Loads a row's module with every loader check; the problems, or none. */
async function checkRow(row: RegistryRow): Promise<string[]> {
  const result = await loadModule(row, modulesRoot());
  return result.ok ? [] : result.problems;
}

function describe(row: RegistryRow, problems: string[]): string {
  return [
    `${row.module_id}  ${row.logic_type}  v${row.version}  ${row.is_active ? 'active' : 'inactive'}`,
    `  ${row.description ?? ''}`,
    `  file      ${row.script_path}  (function ${row.function_name})`,
    `  sha256    ${row.sha256 ?? '(not pinned yet: pinned on first load)'}`,
    importGraphText(row.import_graph),
    `  reads     ${row.input_keys.join(', ') || '-'}`,
    `  writes    ${row.output_keys.join(', ')}`,
    `  params    ${JSON.stringify(row.params)}`,
    problems.length
      ? `  PROBLEMS\n${problems.map((p) => `    - ${p}`).join('\n')}`
      : '  checks    file, hashes, import graph and manifest agree with this row',
    gateText(row),
  ].join('\n');
}

function gateText(row: RegistryRow): string {
  const g = row.gate;
  if (!g)
    return '  gates     not run yet (they run on `trader module register` and on the first load of a row inserted by SQL)';
  const contract = g.contract_kept === undefined ? 'not checked' : g.contract_kept ? 'kept' : 'BROKEN';
  const head =
    g.status === 'passed'
      ? `  gates     passed ${g.checked_at.slice(0, 16)}`
      : `  gates     FAILED ${g.checked_at.slice(0, 16)}: ${g.reasons.join('; ')}`;
  return [
    head,
    `            contract ${contract}, deterministic ${g.deterministic ? 'yes' : 'NO'}, look-ahead ${g.lookahead_free ? 'none' : 'FOUND'}, warm-up ${g.warmup_bars === null ? 'unbounded' : `${g.warmup_bars} bars`}${g.read_depth_bars ? ` (it reads ${g.read_depth_bars} bars back)` : ''} (${g.bars_evaluated} bar closes of ${g.sample})`,
    `            inputs from ${g.producers.join(', ') || 'core keys only'}${g.unproduced_inputs.length ? `; no producer registered for ${g.unproduced_inputs.join(', ')}` : ''}`,
  ].join('\n');
}

async function toggle(q: Queryable, id: string, active: boolean): Promise<RegistryRow> {
  if (active) {
    const row = await getModule(q, id);
    const problems = await checkRow(row);
    if (row.gate?.status === 'failed')
      problems.push(`it failed its registration gates (${row.gate.reasons.join('; ')}); fix it and register it again`);
    if (problems.length)
      throw new TraderError('CONFIG_INVALID', `Module ${id} cannot be activated: ${problems.join('; ')}.`);
  }
  await setModuleActive(q, id, active);
  return getModule(q, id);
}

export function registerModuleCommands(program: Command): void {
  const mod = program.command('module').description('the module registry: register, inspect, (de)activate modules');

  withJson(mod.command('register <file>'))
    .description('register a module file (or re-register it after an edit, re-pinning its sha256 and import graph)')
    .option('--activate', 'also activate it')
    .option('--replace', 'let this file take over a module_id registered from another file (asks first; audited)')
    .option('--yes', 'confirm --replace without asking (for scripts)')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader module register modules/agents/breakout_v1.ts --activate\n  $ trader module register modules/agents/my_breakout.ts --replace --yes',
    )
    .action(
      action(async (file: string, opts: JsonFlag & { activate?: boolean; replace?: boolean; yes?: boolean }) => {
        // The file is read and checked first: a refused file never opens the database.
        const info = await readModuleFile(path.resolve(file));
        const { row, replaced } = await withDb('module register', (db) =>
          registerAudited(db, info, {
            activate: opts.activate ?? false,
            replace: opts.replace ?? false,
            ask: askOnTerminal({ yes: opts.yes }),
          }),
        );
        const gate =
          row.gate?.status === 'failed'
            ? `; it FAILED its registration gates and stays inactive: ${row.gate.reasons.join('; ')}`
            : row.gate
              ? `; gates passed (warm-up ${row.gate.warmup_bars} bars)`
              : '';
        const took = replaced ? ` in place of ${replaced.script_path} (v${replaced.version})` : '';
        output(
          opts,
          { ok: row.gate?.status !== 'failed', module: row, replaced: replaced?.script_path ?? null },
          () =>
            `registered ${row.module_id} v${row.version}${took} (${row.is_active ? 'active' : 'inactive'}), sha256 ${row.sha256}${gate}`,
        );
        return row.gate?.status === 'failed' ? 1 : 0;
      }),
    );

  withJson(mod.command('list'))
    .description('list registered modules')
    .addHelpText('after', '\nExample:\n  $ trader module list --json')
    .action(
      action(async (opts: JsonFlag) => {
        const rows = await withDb('module list', (db) => listModules(db));
        output(opts, { ok: true, modules: rows }, () =>
          rows.length === 0
            ? 'No modules registered; run `trader db seed` or `trader module register <file>`.'
            : table(
                ['active', 'type', 'module_id', 'version', 'file'],
                rows.map((r) => [r.is_active ? 'yes' : 'no', r.logic_type, r.module_id, r.version, r.script_path]),
              ),
        );
      }),
    );

  withJson(mod.command('show <module_id>'))
    .description("show a module's row and whether its file, hash and manifest still agree with it")
    .addHelpText('after', '\nExample:\n  $ trader module show breakout_v1')
    .action(
      action(async (id: string, opts: JsonFlag) => {
        const row = await withDb('module show', (db) => getModule(db, id));
        const problems = await checkRow(row);
        output(opts, { ok: problems.length === 0, module: row, problems }, () => describe(row, problems));
        return problems.length ? 1 : 0;
      }),
    );

  for (const [name, active] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    withJson(mod.command(`${name} <module_id>`))
      .description(active ? 'activate a module (its file, hash and manifest are checked first)' : 'deactivate a module')
      .addHelpText('after', `\nExample:\n  $ trader module ${name} breakout_v1`)
      .action(
        action(async (id: string, opts: JsonFlag) => {
          const row = await withDb(`module ${name}`, (db) =>
            db.transaction(async (tx) => {
              const r = await toggle(tx, id, active);
              await auditRegistryChange(tx, active ? 'MODULE_ACTIVATED' : 'MODULE_DEACTIVATED', r);
              return r;
            }),
          );
          output(
            opts,
            { ok: true, module: row },
            () => `${row.module_id} is now ${row.is_active ? 'active' : 'inactive'}`,
          );
        }),
      );
  }
}
