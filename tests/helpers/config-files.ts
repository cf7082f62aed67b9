import { parse } from 'yaml';
import { expect } from 'vitest';
import type { Ask } from '../../trading/governance/user-action.ts';
import type { Queryable } from '../../store/db.ts';

/** Test helpers for configuration files: answers to the confirmation, and "nothing was written". */

/** An `ask` that answers `answer` and counts the questions. */
export function answering(answer: boolean): Pick<Ask, 'confirm'> & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    confirm: (q: string) => {
      asked.push(q);
      return Promise.resolve(answer);
    },
  };
}

/** Fails the test if anyone is asked: a refused or unchanged file asks nothing. */
export const neverAsked: Pick<Ask, 'confirm'> = {
  confirm: (q: string) => {
    expect.fail(`nobody should be asked, but was asked: ${q}`);
  },
};

/** Data of a YAML text, as a file would give it. */
export const yamlData = (text: string): unknown => parse(text) as unknown;

/** Everything a configuration apply could write: row counts and the contents of the configuration tables. */
export async function configFingerprint(q: Queryable): Promise<string> {
  const parts: unknown[] = [];
  for (const sql of [
    'select count(*)::int as n from audit_trail',
    'select count(*)::int as n from config_versions',
    'select pipeline_id, stage, position, module_id, params, run_when, shadow, on_error, is_enabled from pipeline_config order by 1, 2, 4',
    'select strategy_id, stage, position, module_id, params, pipeline_id, is_enabled from strategy_config order by 1, 2, 4',
    'select symbol, category, strategy_id, module_params, disabled_modules, is_active from asset_config order by 1',
    'select * from trading_test.risk_profiles order by profile',
    'select operational_mode, risk_profile, leverage_enabled, emergency_halt_action, paper_fee_bps, paper_slippage_bps, proposal_ttl_minutes from trading_test.state',
  ])
    parts.push(await q.query(sql));
  return JSON.stringify(parts);
}
