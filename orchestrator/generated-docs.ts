import path from 'node:path';
import { packageRoot } from '../core/paths.ts';
import { contextDocsRelPath, renderContextDocs } from './context-docs.ts';
import { moduleDocsRelPath, renderModuleDocs } from './module-docs.ts';
import { packGatesRelPath, renderPackGates } from '../engine/gates/pack-gates.ts';
import { renderRunJsonDocs, runJsonDocsRelPath } from './run-json-docs.ts';
import { commandOverviewRelPath, renderCommandOverview } from './cli/command-overview.ts';

/** Every document generated from code: written by `trader schema docs`, checked by tests. */
export const generatedDocs: { relPath: string; absPath: string; render: () => Promise<string> }[] = [
  {
    relPath: contextDocsRelPath,
    absPath: path.join(packageRoot, contextDocsRelPath),
    render: async () => renderContextDocs(),
  },
  { relPath: moduleDocsRelPath, absPath: path.join(packageRoot, moduleDocsRelPath), render: renderModuleDocs },
  {
    relPath: runJsonDocsRelPath,
    absPath: path.join(packageRoot, runJsonDocsRelPath),
    render: async () => renderRunJsonDocs(),
  },
  { relPath: packGatesRelPath, absPath: path.join(packageRoot, packGatesRelPath), render: renderPackGates },
  {
    relPath: commandOverviewRelPath,
    absPath: path.join(packageRoot, commandOverviewRelPath),
    render: renderCommandOverview,
  },
];
