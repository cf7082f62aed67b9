import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { contextDocsPath, contextDocsRelPath, renderContextDocs } from '../../context-docs.ts';
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
  const schema = program.command('schema').description('the context contract: keys, kinds, producers and their schemas');

  withJson(schema.command('docs'))
    .description(`write ${contextDocsRelPath} from the context key schemas in sdk/ (or check it is current)`)
    .option('--check', 'write nothing; exit 1 when the checked-in file differs from the schemas')
    .addHelpText('after', '\nExamples:\n  $ trader schema docs\n  $ trader schema docs --check   # in CI: exit 1 when stale')
    .action(
      action(async (opts: DocsOpts) => {
        const rendered = renderContextDocs();
        const current = readIfExists(contextDocsPath);
        const upToDate = current === rendered;
        if (opts.check) {
          if (upToDate) {
            output(opts, { ok: true, file: contextDocsRelPath, up_to_date: true }, () => `${contextDocsRelPath} is up to date.`);
            return 0;
          }
          const message = `${contextDocsRelPath} is ${current === null ? 'missing' : 'stale'}; run 'trader schema docs' and commit the result.`;
          process.stderr.write(`trader: ${message}\n`);
          if (opts.json) output(opts, { ok: false, file: contextDocsRelPath, up_to_date: false, message }, () => message);
          return 1;
        }
        if (!upToDate) {
          fs.mkdirSync(path.dirname(contextDocsPath), { recursive: true });
          fs.writeFileSync(contextDocsPath, rendered);
        }
        output(opts, { ok: true, file: contextDocsRelPath, written: !upToDate }, () =>
          upToDate ? `${contextDocsRelPath} is already up to date.` : `wrote ${contextDocsRelPath}`,
        );
        return 0;
      }),
    );
}
