import { writeCorrelationSettings } from '../../analysis/correlation-settings.ts';
import { readConfig } from '../../registry/config-repo.ts';
import { defaultPipelineId } from '../../registry/default-pack.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import { raiseWarning, validateProfileEdit, isRaise } from '../../trading/risk-profiles.ts';
import { tradingTx, type TradingScope } from '../../trading/scope.ts';
import {
  loadState,
  RiskProfile,
  type RiskProfileName,
  type StatePatch,
  updateState,
} from '../../trading/state-repo.ts';
import type { DocumentTarget } from './apply-document.ts';
import { canonical } from '../../core/canonical.ts';
import { planningProblems } from './plan-check.ts';
import { completeSystemDoc, readSystemDoc, type SystemDoc, SystemFile } from './system-document.ts';
import { systemFileHeader } from './system-header.ts';
import { toYaml } from './yaml-file.ts';

const profileNames: RiskProfileName[] = ['low', 'medium', 'high'];
const autonomy = ['observe', 'semi_auto', 'full_auto'] as const;

const asProfile = (doc: SystemDoc, profile: RiskProfileName): RiskProfile => ({
  profile,
  ...doc.risk_profiles[profile],
});

/**
 * What a file may not do, because the CLI guards it with more than one confirmation (a
 * typed phrase, the master PIN) or with a warning of its own: each names the command that does it.
 */
function safetyProblems(next: SystemDoc, current: SystemDoc, scope: TradingScope): string[] {
  const problems: string[] = [];
  if (next.system_mode !== scope.mode)
    problems.push(
      `system_mode: the file holds ${next.system_mode} settings but this process works on ${scope.mode} (TRADER_SYSTEM_MODE); run it with TRADER_SYSTEM_MODE=${next.system_mode}, or change system_mode in the file`,
    );
  const [from, to] = [current.system.operational_mode, next.system.operational_mode];
  if (autonomy.indexOf(to) > autonomy.indexOf(from))
    problems.push(
      `system.operational_mode: raising autonomy from ${from} to ${to} is not done by a file; run \`trader mode set ${to}\`, which warns and asks first`,
    );
  if (
    next.system.emergency_halt_action === 'MARKET_CLOSE_ALL_AND_HALT' &&
    current.system.emergency_halt_action !== 'MARKET_CLOSE_ALL_AND_HALT'
  )
    problems.push(
      'system.emergency_halt_action: MARKET_CLOSE_ALL_AND_HALT needs its typed acknowledgement; run `trader halt action MARKET_CLOSE_ALL_AND_HALT`',
    );
  if (next.leverage.active && !current.leverage.active)
    problems.push(
      'leverage.active: leverage is activated in stages (typed phrase and master PIN), never by a file; run `trader leverage enable`',
    );
  else if (next.leverage.active && (next.system.risk_profile !== 'high' || !next.risk_profiles.high.allow_leverage))
    problems.push(
      'leverage.active: active leverage needs the high profile with allow_leverage; set leverage.active to false in the file',
    );
  if (!next.strategies.require_strategy_approval && scope.mode === 'LIVE')
    problems.push(
      'strategies.require_strategy_approval: in LIVE every strategy version waits for your approval with the master PIN; keep it true',
    );
  if (next.paper && scope.mode !== 'TEST')
    problems.push('paper: the paper account exists in TEST only; leave the section out');
  for (const p of profileNames) {
    const check = validateProfileEdit(asProfile(current, p), next.risk_profiles[p]);
    if (!check.ok) problems.push(...check.problems.map((s) => `risk_profiles.${p}.${s.replace(/\.$/, '')}`));
  }
  return problems;
}

/** The markets' plans (strategy, module params, disabled modules), when the markets change. */
async function marketProblems(q: Queryable, next: SystemDoc, current: SystemDoc): Promise<string[]> {
  if (canonical(next.markets) === canonical(current.markets)) return [];
  const config = await readConfig(q);
  const assets = Object.entries(next.markets).map(([symbol, m]) => ({
    symbol,
    category: m.category,
    strategy_id: m.strategy,
    module_params: m.module_params,
    disabled_modules: m.disabled_modules,
    is_active: m.active,
  }));
  return planningProblems(
    { ...config, assets },
    assets.map((asset) => ({
      scope: { pipelineId: defaultPipelineId, strategyId: asset.strategy_id, asset },
      prefix: `markets.${asset.symbol}: `,
    })),
  );
}

function warnings(next: SystemDoc, current: SystemDoc): string[] {
  const out: string[] = [];
  if (current.strategies.require_strategy_approval && !next.strategies.require_strategy_approval)
    out.push(
      'strategies.require_strategy_approval false: an optimiser study will activate its winner without asking you, whenever its out-of-sample record is positive.',
    );
  const [from, to] = [current.system.risk_profile, next.system.risk_profile];
  if (isRaise(from, to)) out.push(raiseWarning(asProfile(next, from), asProfile(next, to)));
  for (const p of profileNames) {
    const check = validateProfileEdit(asProfile(current, p), next.risk_profiles[p]);
    if (check.ok) out.push(...check.warnings);
  }
  return out;
}

/** Every changed leaf, as path, old and new value, for the audit row. */
function changes(before: unknown, after: unknown, path = ''): { path: string; from: unknown; to: unknown }[] {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (path.startsWith('markets.') || !isObj(before) || !isObj(after))
    return canonical(before) === canonical(after) ? [] : [{ path, from: before ?? null, to: after ?? null }];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.flatMap((k) => changes(before[k], after[k], path ? `${path}.${k}` : k));
}

async function writeSettings(tx: Queryable, scope: TradingScope, next: SystemDoc, current: SystemDoc) {
  await loadState(tx, scope, { forUpdate: true });
  for (const p of profileNames) {
    const fields = Object.entries(next.risk_profiles[p]).filter(
      ([k, v]) => current.risk_profiles[p][k as keyof SystemDoc['risk_profiles']['low']] !== v,
    );
    if (fields.length === 0) continue;
    await queryRows(
      tx,
      RiskProfile,
      `update ${scope.table('risk_profiles')} set ${[...fields.map(([k], i) => `${k} = $${i + 2}`), 'updated_at = now()'].join(', ')} where profile = $1 returning *`,
      [p, ...fields.map(([, v]) => v)],
    );
  }
  const leverageOff = current.leverage.active && !next.leverage.active;
  const leavesCloseAll =
    current.system.emergency_halt_action === 'MARKET_CLOSE_ALL_AND_HALT' &&
    next.system.emergency_halt_action !== 'MARKET_CLOSE_ALL_AND_HALT';
  for (const p of profileNames) {
    const limit = next.strategies.optimizer_max_strategy_drawdown_pct[p];
    if (limit !== current.strategies.optimizer_max_strategy_drawdown_pct[p])
      await tx.query(
        `update ${scope.table('risk_profiles')} set optimizer_max_strategy_drawdown_pct = $2, updated_at = now() where profile = $1`,
        [p, limit],
      );
  }
  const patch: StatePatch = {
    operational_mode: next.system.operational_mode,
    require_strategy_approval: next.strategies.require_strategy_approval,
    live_performance_feedback_weight: next.strategies.live_performance_feedback_weight,
    risk_profile: next.system.risk_profile,
    emergency_halt_action: next.system.emergency_halt_action,
    require_jit_checks: next.system.require_jit_checks,
    proposal_ttl_minutes: next.proposals.ttl_minutes,
    ...(leverageOff ? { leverage_enabled: false, leverage_enabled_at: null } : {}),
    ...(leavesCloseAll ? { close_all_acknowledged_at: null } : {}),
    ...(next.paper ? { paper_fee_bps: next.paper.fee_bps, paper_slippage_bps: next.paper.slippage_bps } : {}),
  };
  await updateState(tx, scope, patch);
  if (canonical(next.correlation) !== canonical(current.correlation))
    await writeCorrelationSettings(tx, next.correlation);
  const symbols = Object.keys(next.markets);
  await tx.query('delete from asset_config where not (symbol = any($1::text[]))', [symbols]);
  for (const [symbol, m] of Object.entries(next.markets))
    await tx.query(
      `insert into asset_config (symbol, category, strategy_id, module_params, disabled_modules, is_active)
       values ($1, $2, $3, $4, $5::text[], $6)
       on conflict (symbol) do update set category = excluded.category, strategy_id = excluded.strategy_id,
         module_params = excluded.module_params, disabled_modules = excluded.disabled_modules, is_active = excluded.is_active`,
      [symbol, m.category, m.strategy, m.module_params, m.disabled_modules, m.active],
    );
}

/** `trader config show|export|apply` for the process's system mode. */
export function systemTarget(scope: TradingScope): DocumentTarget<SystemFile> {
  return {
    kind: 'config',
    noun: 'configuration',
    schema: SystemFile,
    nameOf: () => scope.mode,
    transaction: (db, fn) => tradingTx(db, scope, fn),
    read: (q) => readSystemDoc(q, scope),
    known: () => Promise.resolve([scope.mode]),
    complete: (file, current) => completeSystemDoc(file, current as SystemDoc),
    async problems(q, next, current) {
      const [n, c] = [next as SystemDoc, current as SystemDoc];
      return [...safetyProblems(n, c, scope), ...(await marketProblems(q, n, c))];
    },
    warnings: (next, current) => warnings(next as SystemDoc, current as SystemDoc),
    render: (doc) => toYaml(doc, systemFileHeader(scope.mode)),
    async write(tx, next, current) {
      await writeSettings(tx, scope, next as SystemDoc, current as SystemDoc);
      return { changes: changes(current, next) };
    },
    async auditScope(q) {
      return { mode: scope.mode, risk_profile: (await loadState(q, scope)).risk_profile };
    },
  };
}
