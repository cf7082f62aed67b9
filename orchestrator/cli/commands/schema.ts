import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { generatedDocs } from '../../generated-docs.ts';
import { action, output, withJson, type JsonFlag } from '../command-kit.ts';

interface DocsOpts extends JsonFlag {
  check?: boolean;
}

function readIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export function registerSchemaCommands(program: Command): void {
  const schema = program.command('schema').description('the context contract and module docs generated from code');

  withJson(schema.command('docs'))
    .description(`write ${generatedDocs.map((d) => d.relPath).join(' and ')} from the code (or check they are current)`)
    .option('--check', 'write nothing; exit 1 when a checked-in file differs from what the code renders')
    .addHelpText(
      'after',
      '\nExamples:\n  $ trader schema docs\n  $ trader schema docs --check   # in CI: exit 1 when stale',
    )
    .action(
      action(async (opts: DocsOpts) => {
        const docs: ((typeof generatedDocs)[number] & { rendered: string; missing: boolean; upToDate: boolean })[] = [];
        for (const d of generatedDocs) {
          const rendered = await d.render();
          const current = readIfExists(d.absPath);
          docs.push({ ...d, rendered, missing: current === null, upToDate: current === rendered });
        }
        const stale = docs.filter((d) => !d.upToDate);
        const files = docs.map((d) => ({ file: d.relPath, up_to_date: d.upToDate }));
        if (opts.check) {
          if (stale.length === 0) {
            output(opts, { ok: true, files }, () => docs.map((d) => `${d.relPath} is up to date.`).join('\n'));
            return 0;
          }
          const message = `${stale.map((d) => `${d.relPath} is ${d.missing ? 'missing' : 'stale'}`).join('; ')}; run 'trader schema docs' and commit the result.`;
          process.stderr.write(`trader: ${message}\n`);
          if (opts.json) output(opts, { ok: false, files, message }, () => message);
          return 1;
        }
        for (const d of stale) {
          fs.mkdirSync(path.dirname(d.absPath), { recursive: true });
          fs.writeFileSync(d.absPath, d.rendered);
        }
        output(opts, { ok: true, files: docs.map((d) => ({ file: d.relPath, written: !d.upToDate })) }, () =>
          docs.map((d) => (d.upToDate ? `${d.relPath} is already up to date.` : `wrote ${d.relPath}`)).join('\n'),
        );
        return 0;
      }),
    );
}
