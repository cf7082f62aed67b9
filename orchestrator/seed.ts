import path from 'node:path';
import { modulesRoot } from '../core/paths.ts';
import {
  defaultPipeline,
  defaultPipelineId,
  packFiles,
  packStrategies,
  type PackSlot,
} from '../registry/default-pack.ts';
import type { Db, Queryable } from '../store/db.ts';
import { scriptPathFor } from '../engine/loader/confine-path.ts';
import { registerModuleFile } from './registration.ts';

/** Inserts slot rows, positions in steps of 10 per stage; rows that exist (maybe changed by the user) are kept. */
async function insertSlots(
  tx: Queryable,
  table: 'pipeline_config' | 'strategy_config',
  owner: Record<string, string>,
  slots: PackSlot[],
): Promise<number> {
  const ownerColumns = Object.keys(owner);
  const conflict = table === 'pipeline_config' ? 'pipeline_id' : 'strategy_id';
  let added = 0;
  const positions = new Map<string, number>();
  for (const slot of slots) {
    const position = (positions.get(slot.stage) ?? 0) + 10;
    positions.set(slot.stage, position);
    const values = [...Object.values(owner), slot.stage, position, slot.module_id, slot.params ?? {}];
    const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await tx.query(
      `insert into ${table} (${[...ownerColumns, 'stage', 'position', 'module_id', 'params'].join(', ')}) values (${placeholders})
       on conflict (${conflict}, stage, module_id) do nothing returning module_id`,
      values,
    );
    added += rows.length;
  }
  return added;
}

/**
 * Registers and activates the shipped modules, creates the default pipeline and the pack's
 * strategies, in one transaction. Idempotent: re-seeding re-pins the shipped files and keeps
 * configuration rows a user already changed, and a shipped module_id the user replaced with
 * a file of their own (`module register --replace`) keeps their file.
 */
export async function seedDefaults(db: Db): Promise<{
  modules: string[];
  kept: { module_id: string; script_path: string }[];
  pipeline_rows_added: number;
  strategies: string[];
  strategy_rows_added: number;
}> {
  const root = modulesRoot();
  return db.transaction(async (tx) => {
    const modules: string[] = [];
    const kept: { module_id: string; script_path: string }[] = [];
    for (const file of packFiles) {
      const shipped = path.join(root, file);
      const row = await registerModuleFile(tx, shipped, { activate: true, onClaimed: 'keep' });
      if (row.script_path === scriptPathFor(shipped, root)) modules.push(row.module_id);
      else kept.push({ module_id: row.module_id, script_path: row.script_path });
    }
    const pipelineAdded = await insertSlots(tx, 'pipeline_config', { pipeline_id: defaultPipelineId }, defaultPipeline);
    let strategyAdded = 0;
    for (const s of packStrategies) {
      strategyAdded += await insertSlots(
        tx,
        'strategy_config',
        { strategy_id: s.id, pipeline_id: defaultPipelineId, description: s.description },
        s.slots,
      );
    }
    return {
      modules,
      kept,
      pipeline_rows_added: pipelineAdded,
      strategies: packStrategies.map((s) => s.id),
      strategy_rows_added: strategyAdded,
    };
  });
}
