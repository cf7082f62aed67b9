import type { Queryable } from '../store/db.ts';

/**
 * pg-boss's `db` option over one of our transactions, so jobs are enqueued in the same
 * transaction as the rows they work on: the run's row and its symbol jobs commit together
 * or not at all. pg-boss's insert passes its jobs as pre-stringified JSON to
 * `json_to_recordset($1)`; our driver encodes a json parameter itself (store/db.ts: pass
 * objects, never strings), so that one parameter is parsed back first; pg sends an undefined
 * parameter as NULL, ours refuses it, so those become null.
 */
export function bossTx(tx: Queryable): { executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }> } {
  return {
    async executeSql(text, values = []) {
      const params = values.map((v) => (v === undefined ? null : v));
      if (text.includes('json_to_recordset($1)')) params[0] = JSON.parse(params[0] as string);
      return { rows: await tx.query(text, params) };
    },
  };
}
