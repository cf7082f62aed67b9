import { createRequire } from 'node:module';
import type TS from 'typescript';

/**
 * Reads a module file's imports without running it, with TypeScript's parser: what a
 * file imports must be known before it is imported, because importing runs its code and
 * its imports'. Also finds what the static graph cannot pin (dynamic `import()`,
 * `require`) and syntax errors, each named file:line:column.
 */

export interface ImportSite {
  specifier: string;
  /** file:line:column of the specifier, for messages. */
  at: string;
}

export type ParsedImports = { ok: true; imports: ImportSite[] } | { ok: false; problems: string[] };

let typescript: typeof TS | undefined;

/**
 * The compiler is large (~0.2 s to load), so it is loaded only when a graph is computed
 * (registration, first load), and by require: an ESM import of this 9 MB CommonJS file
 * first scans it for named exports, which takes seconds.
 */
function loadTypeScript(): typeof TS {
  typescript ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return typescript;
}

const stringArgument = (ts: typeof TS, node: TS.Node | undefined): string | null =>
  node && ts.isStringLiteralLike(node) ? node.text : null;

/** Parses `file` (its text as on disk) and lists every import site; `label` names it in messages. */
export function parseImports(file: string, label: string): ParsedImports {
  const ts = loadTypeScript();
  const program = ts.createProgram({
    rootNames: [file],
    options: { noResolve: true, noLib: true, allowJs: true, types: [], noEmit: true },
  });
  const source = program.getSourceFile(file);
  if (!source) return { ok: false, problems: [`module file ${label} could not be read`] };
  const where = (pos: number) => {
    const { line, character } = source.getLineAndCharacterOfPosition(pos);
    return `${label}:${line + 1}:${character + 1}`;
  };
  const [syntax] = program.getSyntacticDiagnostics(source);
  if (syntax)
    return {
      ok: false,
      problems: [
        `${where(syntax.start ?? 0)}: syntax error: ${ts.flattenDiagnosticMessageText(syntax.messageText, ' ').replace(/\.$/, '')}`,
      ],
    };

  const imports: ImportSite[] = [];
  const problems: string[] = [];
  const visit = (node: TS.Node, parent: TS.Node): void => {
    const at = () => where(node.getStart(source));
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const specifier = stringArgument(ts, node.moduleSpecifier);
      if (specifier !== null) imports.push({ specifier, at: where(node.moduleSpecifier.getStart(source)) });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const specifier = stringArgument(ts, node.argument.literal);
      if (specifier !== null) imports.push({ specifier, at: at() });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      problems.push(`${at()}: \`import ... = require(...)\` is not allowed; use a static import`);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      problems.push(
        `${at()}: a dynamic import() is not allowed; modules import statically, so the graph can be pinned`,
      );
    } else if (ts.isIdentifier(node) && node.text === 'require' && isValueUse(ts, node, parent)) {
      problems.push(`${at()}: require is not allowed; modules import statically, so the graph can be pinned`);
    }
    ts.forEachChild(node, (child) => visit(child, node));
  };
  visit(source, source);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, imports };
}

/** `require` used as a value (`require(x)`, `require.resolve`, `const r = require`), not a property or key named so. */
function isValueUse(ts: typeof TS, id: TS.Identifier, p: TS.Node): boolean {
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) && p.name === id)
    return false;
  if (ts.isPropertySignature(p) || ts.isMethodSignature(p)) return false;
  return true;
}
