import path from 'node:path';
import { modulesRoot } from '../core/paths.ts';
import { defaultPack, defaultPipelineId } from '../registry/default-pack.ts';
import type { Db } from '../store/db.ts';
import { registerModuleFile } from './registration.ts';

/**
 * Registers and activates the shipped modules and creates the default pipeline, in one
 * transaction. Idempotent: re-seeding re-pins the shipped files and keeps pipeline rows
 * a user already changed.
 */
export async function seedDefaults(db: Db): Promise<{ modules: string[]; pipeline_rows_added: number }> {
  const root = modulesRoot();
  return db.transaction(async (tx) => {
    const modules: string[] = [];
    let added = 0;
    for (const entry of defaultPack) {
      const row = await registerModuleFile(tx, path.join(root, entry.file), { activate: true });
      modules.push(row.module_id);
      const inserted = await tx.query(
        `insert into pipeline_config (pipeline_id, stage, position, module_id) values ($1, $2, $3, $4)
         on conflict (pipeline_id, stage, module_id) do nothing returning module_id`,
        [defaultPipelineId, entry.stage, entry.position, row.module_id],
      );
      added += inserted.length;
    }
    return { modules, pipeline_rows_added: added };
  });
}
