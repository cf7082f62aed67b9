import { TraderError } from '../core/errors.ts';
import type { RegistryRow } from '../registry/rows.ts';
import type { Db, Queryable } from '../store/db.ts';
import { recordAudit } from '../trading/audit/audit-log.ts';
import type { Ask } from '../trading/governance/user-action.ts';
import { claimedBy, registerModule, type ModuleFileInfo } from './registration.ts';

/** What runs is a trading decision too: registry changes are audited (mode SYSTEM, actor USER). */
export function auditRegistryChange(
  tx: Queryable,
  action_type: string,
  r: Pick<RegistryRow, 'module_id' | 'version' | 'sha256' | 'is_active' | 'script_path'>,
  extra: { status?: 'SUCCESS' | 'REJECTED' | 'FAILURE'; details?: Record<string, unknown> } = {},
): Promise<number> {
  return recordAudit(tx, {
    mode: 'SYSTEM',
    actor: 'USER',
    action_type,
    status: extra.status ?? 'SUCCESS',
    details: {
      module_id: r.module_id,
      version: r.version,
      sha256: r.sha256,
      is_active: r.is_active,
      script_path: r.script_path,
      ...extra.details,
    },
    entity_type: 'module',
    entity_id: r.module_id,
  });
}

const replacedDetails = (owner: RegistryRow) => ({
  replaced: { script_path: owner.script_path, version: owner.version, sha256: owner.sha256 },
});

/**
 * Asks before a file takes over a module_id registered from another file; a decline (or a
 * question that could not be asked) is audited in a transaction of its own and thrown.
 */
async function confirmReplacement(
  db: Db,
  ask: Pick<Ask, 'confirm'>,
  candidate: Pick<RegistryRow, 'module_id' | 'version' | 'sha256' | 'is_active' | 'script_path'>,
  owner: RegistryRow,
): Promise<void> {
  const question = `${candidate.script_path} (v${candidate.version}) claims module ${owner.module_id}, registered from ${owner.script_path} (v${owner.version}); every pipeline and strategy slot naming ${owner.module_id} will run the new file. Replace it?`;
  let answer: boolean | TraderError;
  try {
    answer = await ask.confirm(question);
  } catch (e) {
    if (!(e instanceof TraderError)) throw e;
    answer = e; // not asked: no terminal and no --yes
  }
  if (answer === true) return;
  const refusal =
    answer === false
      ? new TraderError('BAD_INPUT', `You did not confirm; ${owner.module_id} still runs ${owner.script_path}.`)
      : answer;
  const status = answer === false ? 'REJECTED' : 'FAILURE';
  await db.transaction((tx) =>
    auditRegistryChange(tx, 'MODULE_REPLACED', candidate, {
      status,
      details: { ...replacedDetails(owner), error: refusal.message },
    }),
  );
  throw refusal;
}

/**
 * `trader module register`: registers a module file (read by readModuleFile, before the
 * database is opened) and audits it, in one transaction. A
 * file whose module_id belongs to another file is refused unless `replace`, which asks
 * first (outside any transaction) and is audited as MODULE_REPLACED with what it replaced.
 */
export async function registerAudited(
  db: Db,
  info: ModuleFileInfo,
  options: { activate: boolean; replace: boolean; ask: Pick<Ask, 'confirm'>; env?: NodeJS.ProcessEnv },
): Promise<{ row: RegistryRow; replaced: RegistryRow | null }> {
  const owner = options.replace ? await claimedBy(db, info) : null;
  if (owner) {
    const candidate = {
      module_id: info.manifest.module_id,
      version: info.manifest.version,
      sha256: info.sha256,
      is_active: options.activate,
      script_path: info.script_path,
    };
    await confirmReplacement(db, options.ask, candidate, owner);
  }
  return db.transaction(async (tx) => {
    const row = await registerModule(tx, info, {
      activate: options.activate,
      onClaimed: owner ? 'replace' : 'refuse',
      env: options.env,
    });
    if (owner) await auditRegistryChange(tx, 'MODULE_REPLACED', row, { details: replacedDetails(owner) });
    else await auditRegistryChange(tx, 'MODULE_REGISTERED', row);
    return { row, replaced: owner };
  });
}
