import fs from 'node:fs';
import path from 'node:path';

/**
 * Module files load only from inside the modules root. `script_path` is relative to the
 * folder that holds the root (so the default root `modules/` gives `modules/agents/x_v1.ts`).
 * Returns the real path, or a sentence saying why the path is refused.
 */
export function confineScriptPath(
  scriptPath: string,
  root: string,
): { ok: true; file: string } | { ok: false; reason: string } {
  if (path.isAbsolute(scriptPath))
    return { ok: false, reason: `script_path ${scriptPath} must be relative, not absolute` };
  if (scriptPath.split(/[\\/]/).includes('..'))
    return { ok: false, reason: `script_path ${scriptPath} must not contain '..'` };
  if (!/\.(ts|mts|js|mjs)$/.test(scriptPath))
    return { ok: false, reason: `script_path ${scriptPath} must name a .ts or .js file` };
  const inside = (child: string, parent: string) => {
    const rel = path.relative(parent, child);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  const candidate = path.resolve(path.dirname(root), scriptPath);
  if (!inside(candidate, root))
    return { ok: false, reason: `script_path ${scriptPath} is outside the modules root ${root}` };
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    return { ok: false, reason: `module file ${scriptPath} does not exist` };
  }
  if (!inside(real, fs.realpathSync(root))) {
    return { ok: false, reason: `module file ${scriptPath} resolves outside the modules root (symlink to ${real})` };
  }
  return { ok: true, file: real };
}

/** The script_path to record for a file given on the command line (relative to cwd or absolute). */
export function scriptPathFor(file: string, root: string): string {
  return path.relative(path.dirname(root), path.resolve(file)).split(path.sep).join('/');
}
