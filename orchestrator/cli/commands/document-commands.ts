import path from 'node:path';
import type { Command } from 'commander';
import { applyDocument, type DocumentTarget, exportDocument } from '../../config-files/apply-document.ts';
import { readYamlFile, writeTextFile } from '../../config-files/yaml-file.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { action, output, wholeNumber, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/**
 * `show`, `export` and `apply` for a configuration file kind (pipeline, strategy, the
 * system's configuration), wired onto its command group. The use cases live in
 * orchestrator/config-files/; this only reads flags and prints.
 */
export interface DocumentCommandSpec<D> {
  group: string;
  /** How descriptions name the thing. */
  noun: string;
  /** Built when a command runs (the configuration's depends on TRADER_SYSTEM_MODE). */
  target: () => DocumentTarget<D>;
  /** The argument naming which one (`<pipeline_id>`), or a fixed name (the system mode). */
  id: { arg: string } | { fixed: () => string };
  example: { show: string; export: string; apply: string };
}

type ExportFlags = JsonFlag & { out?: string; version?: string };

export function registerDocumentCommands<D>(group: Command, spec: DocumentCommandSpec<D>): void {
  const target = { noun: spec.noun };
  const idArg = 'arg' in spec.id ? ` <${spec.id.arg}>` : '';
  // Commander passes the id first when there is one, then the options.
  const split = (args: unknown[]): [string, ExportFlags] =>
    'arg' in spec.id ? [args[0] as string, args[1] as ExportFlags] : [spec.id.fixed(), args[0] as ExportFlags];

  withJson(group.command(`show${idArg}`))
    .description(`print the ${target.noun} as a file, with its version and earlier versions`)
    .addHelpText('after', `\nExample:\n  $ ${spec.example.show}`)
    .action(
      action(async (...args: unknown[]) => {
        const [name, opts] = split(args);
        const r = await withDb(`${spec.group} show`, (db) => exportDocument(db, spec.target(), name));
        output(opts, { ok: true, name, version: r.version, versions: r.versions, text: r.text }, () => {
          const history = r.versions.length
            ? `versions: ${r.versions.map((v) => `${v.version} (${v.source} ${v.applied_at.toISOString().slice(0, 16)}Z)`).join(', ')}`
            : `versions: none yet (\`${spec.group} apply\` records one per apply)`;
          return `${r.text.trimEnd()}\n\n# ${target.noun} ${name}, ${r.version === null ? 'never applied from a file' : `version ${r.version}`}; ${history}`;
        });
      }),
    );

  withJson(group.command(`export${idArg}`))
    .description(
      `write the ${target.noun} as a YAML file (stdout unless --out) that \`${spec.group} apply\` reads back`,
    )
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--version <n>', 'export this stored version instead of the current one')
    .addHelpText('after', `\nExample:\n  $ ${spec.example.export}`)
    .action(
      action(async (...args: unknown[]) => {
        const [name, opts] = split(args);
        const version = opts.version === undefined ? undefined : wholeNumber(opts.version, '--version', 1);
        const r = await withDb(`${spec.group} export`, (db) => exportDocument(db, spec.target(), name, version));
        if (opts.out) await writeTextFile(path.resolve(opts.out), r.text);
        if (opts.out || opts.json)
          output(
            opts,
            { ok: true, name, version: r.version, out: opts.out ?? null, text: r.text },
            () => `wrote ${target.noun} ${name}${r.version === null ? '' : ` (version ${r.version})`} to ${opts.out}`,
          );
        else process.stdout.write(r.text);
      }),
    );

  withJson(group.command('apply <file>'))
    .description(
      `validate a ${target.noun} file whole, show what changes, ask, then apply it in one transaction (versioned, audited)`,
    )
    .option('--yes', 'apply without asking (for scripts)')
    .addHelpText('after', `\nExample:\n  $ ${spec.example.apply}`)
    .action(
      action(async (file: string, opts: JsonFlag & { yes?: boolean }) => {
        // The file is read and parsed first: a file that cannot be read never opens the database.
        const raw = await readYamlFile(path.resolve(file));
        const show = (diff: string, warnings: string[]) => {
          const out = opts.json ? process.stderr : process.stdout;
          out.write(`Changes to the ${target.noun} (- now, + after):\n${diff}\n`);
          for (const w of warnings) out.write(`WARNING: ${w}\n`);
        };
        const r = await withDb(`${spec.group} apply`, (db) =>
          applyDocument(db, spec.target(), raw, { ask: askOnTerminal({ yes: opts.yes }), show }),
        );
        output(opts, { ok: true, ...r }, () =>
          r.changed
            ? `applied: ${target.noun} ${r.name} is now version ${r.version}`
            : `nothing to apply: ${file} matches ${target.noun} ${r.name}${r.version === null ? '' : ` (version ${r.version})`}`,
        );
      }),
    );
}
