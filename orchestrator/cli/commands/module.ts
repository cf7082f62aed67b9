import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import { modulesRoot } from '../../../core/paths.ts';
import { getModule, listModules, setModuleActive } from '../../../registry/registry-repo.ts';
import type { RegistryRow } from '../../../registry/rows.ts';
import type { Queryable } from '../../../store/db.ts';
import { loadModule } from '../../loader/module-loader.ts';
import { registerModuleFile } from '../../registration.ts';
import { recordAudit } from '../../../trading/audit/audit-log.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

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
    `  reads     ${row.input_keys.join(', ') || '-'}`,
    `  writes    ${row.output_keys.join(', ')}`,
    `  params    ${JSON.stringify(row.params)}`,
    problems.length ? `  PROBLEMS\n${problems.map((p) => `    - ${p}`).join('\n')}` : '  checks    file, hash and manifest agree with this row',
    gateText(row),
  ].join('\n');
}

function gateText(row: RegistryRow): string {
  const g = row.gate;
  if (!g) return '  gates     not run yet (they run on `trader module register` and on the first load of a row inserted by SQL)';
  const head = g.status === 'passed' ? `  gates     passed ${g.checked_at.slice(0, 16)}` : `  gates     FAILED ${g.checked_at.slice(0, 16)}: ${g.reasons.join('; ')}`;
  return [
    head,
    `            deterministic ${g.deterministic ? 'yes' : 'NO'}, look-ahead ${g.lookahead_free ? 'none' : 'FOUND'}, warm-up ${g.warmup_bars === null ? 'unbounded' : `${g.warmup_bars} bars`} (${g.bars_evaluated} bar closes of ${g.sample})`,
    `            inputs from ${g.producers.join(', ') || 'core keys only'}${g.unproduced_inputs.length ? `; no producer registered for ${g.unproduced_inputs.join(', ')}` : ''}`,
  ].join('\n');
}

async function toggle(q: Queryable, id: string, active: boolean): Promise<RegistryRow> {
  if (active) {
    const row = await getModule(q, id);
    const problems = await checkRow(row);
    if (row.gate?.status === 'failed') problems.push(`it failed its registration gates (${row.gate.reasons.join('; ')}); fix it and register it again`);
    if (problems.length) throw new TraderError('CONFIG_INVALID', `Module ${id} cannot be activated: ${problems.join('; ')}.`);
  }
  await setModuleActive(q, id, active);
  return getModule(q, id);
}

/** What runs is a trading decision too: registry changes are audited (mode SYSTEM, actor USER) in the same transaction. */
function auditRegistryChange(tx: Queryable, action_type: string, r: RegistryRow): Promise<number> {
  return recordAudit(tx, { mode: 'SYSTEM', actor: 'USER', action_type, status: 'SUCCESS', details: { module_id: r.module_id, version: r.version, sha256: r.sha256, is_active: r.is_active }, entity_type: 'module', entity_id: r.module_id });
}

export function registerModuleCommands(program: Command): void {
  const mod = program.command('module').description('the module registry: register, inspect, (de)activate modules');

  withJson(mod.command('register <file>'))
    .description('register a module file (or re-register it after an edit, re-pinning its sha256)')
    .option('--activate', 'also activate it')
    .addHelpText('after', '\nExample:\n  $ trader module register modules/agents/breakout_v1.ts --activate')
    .action(
      action(async (file: string, opts: JsonFlag & { activate?: boolean }) => {
        const row = await withDb('module register', (db) =>
          db.transaction(async (tx) => {
            const r = await registerModuleFile(tx, file, { activate: opts.activate ?? false });
            await auditRegistryChange(tx, 'MODULE_REGISTERED', r);
            return r;
          }),
        );
        const gate = row.gate?.status === 'failed' ? `; it FAILED its registration gates and stays inactive: ${row.gate.reasons.join('; ')}` : row.gate ? `; gates passed (warm-up ${row.gate.warmup_bars} bars)` : '';
        output(opts, { ok: row.gate?.status !== 'failed', module: row }, () => `registered ${row.module_id} v${row.version} (${row.is_active ? 'active' : 'inactive'}), sha256 ${row.sha256}${gate}`);
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
            : rows.map((r) => `${r.is_active ? '*' : ' '} ${r.logic_type.padEnd(10)} ${r.module_id.padEnd(28)} v${r.version}  ${r.script_path}`).join('\n'),
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

  for (const [name, active] of [['activate', true], ['deactivate', false]] as const) {
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
          output(opts, { ok: true, module: row }, () => `${row.module_id} is now ${row.is_active ? 'active' : 'inactive'}`);
        }),
      );
  }
}
