import type { ImportGraph } from '../../../registry/import-graph.ts';

/** `module show`'s lines for a module's pinned import graph: each file, its hash and what it imports. */
export function importGraphText(graph: ImportGraph | null): string {
  if (!graph) return '  imports   not pinned yet (pinned with the hash on first load)';
  return graph.files
    .map((f, i) => {
      const name = i === 0 ? f.path : `${f.path} (sha256 ${f.sha256.slice(0, 12)}…)`;
      const targets = [...f.imports, ...f.sdk, ...f.packages];
      return `${i === 0 ? '  imports   ' : '            '}${name} -> ${targets.join(', ') || 'nothing'}`;
    })
    .join('\n');
}
