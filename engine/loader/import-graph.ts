import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../core/paths.ts';
import { allowedPackages, type ImportGraph } from '../../registry/import-graph.ts';
import { confineScriptPath } from './confine-path.ts';
import { sha256File } from './file-hash.ts';
import { parseImports } from './parse-imports.ts';
import { quote } from '../../core/quote.ts';

/**
 * A module is its file and the files it imports. What it may import: files of its own
 * folder (followed, and pinned by sha256), the SDK (`sdk/`, trusted core code, not
 * followed), and the packages in `allowedPackages`. Anything else (another folder, a Node
 * built-in, any other package, a dynamic import) is refused before the module is ever run.
 */

type Graph = { ok: true; graph: ImportGraph } | { ok: false; problems: string[] };
type Node = ImportGraph['files'][number];

const inside = (child: string, parent: string) => {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};
const posix = (p: string) => p.split(path.sep).join('/');
const moduleFile = /\.(ts|mts|js|mjs)$/;
const builtins = new Set(builtinModules);

/** Where a module's imports may lead, as real paths. */
interface Scope {
  /** The module file's own folder: the files it may import (and those may import) live here. */
  folder: string;
  sdk: string;
  root: string;
  realRoot: string;
}

function scopeOf(entry: string, root: string): Scope {
  return {
    folder: path.dirname(entry),
    sdk: fs.realpathSync(path.join(packageRoot, 'sdk')),
    root,
    realRoot: fs.realpathSync(root),
  };
}

/** A file's name in the registry: relative to the folder holding the modules root, as script_path is. */
const labelOf = (s: Scope, real: string) => posix(path.join(path.basename(s.root), path.relative(s.realRoot, real)));

type Target =
  { kind: 'local' | 'sdk'; real: string } | { kind: 'package'; name: string } | { kind: 'refused'; why: string };

/** What one import specifier of `from` names, or why it is refused. */
function resolveImport(s: Scope, from: string, specifier: string): Target {
  const folder = `${labelOf(s, s.folder)}/`;
  const allowed = `files of its own folder ${folder}, the SDK (sdk/) and ${allowedPackages.join(', ')}`;
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const candidate = path.resolve(path.dirname(from), specifier);
    if (!moduleFile.test(candidate))
      return { kind: 'refused', why: `${quote(specifier)} must name a .ts, .mts, .js or .mjs file with its extension` };
    let real: string;
    try {
      real = fs.realpathSync(candidate);
    } catch {
      return { kind: 'refused', why: `${quote(specifier)} does not exist` };
    }
    if (inside(real, s.sdk)) return { kind: 'sdk', real };
    if (inside(real, s.folder)) return { kind: 'local', real };
    const named = inside(real, s.realRoot) ? labelOf(s, real) : real;
    return {
      kind: 'refused',
      why: `${quote(specifier)} (${named}) is outside its own folder; a module may import ${allowed}`,
    };
  }
  if (path.isAbsolute(specifier) || specifier.startsWith('file:'))
    return {
      kind: 'refused',
      why: `${quote(specifier)} is an absolute path; a module may import ${allowed}, by relative path`,
    };
  const name = specifier.startsWith('node:') ? specifier : specifier.split('/')[0]!;
  if (specifier.startsWith('node:') || builtins.has(name))
    return {
      kind: 'refused',
      why: `${quote(specifier)} is a Node built-in; modules have no I/O (a module may import ${allowed})`,
    };
  if (allowedPackages.includes(specifier)) return { kind: 'package', name: specifier };
  return { kind: 'refused', why: `${quote(specifier)} is not an allowed package; a module may import ${allowed}` };
}

/** One file's node: its hash and what it imports, or the problems of its imports. */
function nodeOf(s: Scope, file: string, label: string): { node: Node; local: string[] } | { problems: string[] } {
  const parsed = parseImports(file, label);
  if (!parsed.ok) return { problems: parsed.problems };
  const node: Node = { path: label, sha256: sha256File(file), imports: [], sdk: [], packages: [] };
  const local: string[] = [];
  const problems: string[] = [];
  const add = (list: string[], item: string) => void (list.includes(item) || list.push(item));
  for (const site of parsed.imports) {
    const t = resolveImport(s, file, site.specifier);
    if (t.kind === 'refused') problems.push(`${site.at}: import ${t.why}`);
    else if (t.kind === 'package') add(node.packages, t.name);
    else if (t.kind === 'sdk') add(node.sdk, posix(path.relative(path.dirname(s.sdk), t.real)));
    else {
      add(node.imports, labelOf(s, t.real));
      add(local, t.real);
    }
  }
  return problems.length > 0 ? { problems } : { node, local };
}

/**
 * The module's import graph from its file (the real path of `scriptPath`): every local file,
 * transitively, hashed. Parsed statically, so nothing of the module runs. Every problem in
 * every file is reported at once.
 */
export function computeImportGraph(entry: string, scriptPath: string, root: string): Graph {
  const s = scopeOf(entry, root);
  const files: Node[] = [];
  const problems: string[] = [];
  const queue = [entry];
  const seen = new Set(queue);
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const r = nodeOf(s, file, file === entry ? scriptPath : labelOf(s, file));
    if ('problems' in r) {
      problems.push(...r.problems);
      continue;
    }
    files.push(r.node);
    for (const next of r.local.filter((f) => !seen.has(f))) {
      seen.add(next);
      queue.push(next);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, graph: { files } };
}

/**
 * Checks a pinned graph against the files on disk without parsing them: the module file
 * first, then every file it imports still inside the module's folder with the pinned sha256. A file's imports follow from its
 * content (specifiers name files exactly), so equal hashes mean an unchanged graph.
 */
export function pinnedGraphProblems(graph: ImportGraph, entry: string, scriptPath: string, root: string): string[] {
  const s = scopeOf(entry, root);
  const again = `review it and run \`trader module register ${scriptPath}\``;
  const [self, ...imported] = graph.files;
  if (self!.path !== scriptPath || self!.sha256 !== sha256File(entry))
    return [`the import graph pinned for ${scriptPath} is of another file or version (${self!.path}); ${again}`];
  const problems: string[] = [];
  for (const node of imported) {
    const where = confineScriptPath(node.path, root);
    if (!where.ok || !inside(where.file, s.folder)) {
      problems.push(`module file ${scriptPath} imports ${node.path}, which is missing or outside its folder; ${again}`);
      continue;
    }
    const sha = sha256File(where.file);
    if (sha !== node.sha256)
      problems.push(
        `module file ${scriptPath} imports ${node.path}, which changed since it was registered (sha256 ${sha.slice(0, 12)}… is not the pinned ${node.sha256.slice(0, 12)}…); ${again}`,
      );
  }
  return problems;
}
