import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import type { Db } from '../../../store/db.ts';
import { recordAudit } from '../../../trading/audit/audit-log.ts';
import { changeRiskProfile } from '../../../trading/governance/risk-profile-change.ts';
import { confirmOrRefuse } from '../../../trading/governance/user-action.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import {
  confirmAbove,
  editableFields,
  editRefused,
  editRiskProfile,
  profileBounds,
  validateProfileEdit,
  type Range,
} from '../../../trading/risk-profiles.ts';
import { systemModeFromEnv, tradingScope, tradingTx, type TradingScope } from '../../../trading/scope.ts';
import { loadRiskProfiles, loadState, type RiskProfile, RiskProfileName } from '../../../trading/state-repo.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { quote } from '../../../core/quote.ts';

/**
 * `trader risk`: the three risk profiles. Raising risk asks for confirmation with what it
 * means for losses; every change and every confirmation outcome is audited with actor USER.
 */

interface YesFlag extends JsonFlag {
  yes?: boolean;
}

function parseProfile(text: string): RiskProfileName {
  const parsed = RiskProfileName.safeParse(text.trim().toLowerCase());
  if (!parsed.success)
    throw new TraderError('BAD_INPUT', `Unknown risk profile ${quote(text)}; choose low, medium or high.`);
  return parsed.data;
}

async function readProfiles(db: Db, scope: TradingScope) {
  return tradingTx(db, scope, async (tx) => ({
    state: await loadState(tx, scope),
    profiles: await loadRiskProfiles(tx, scope),
  }));
}

const byName = (profiles: RiskProfile[], name: RiskProfileName) => profiles.find((p) => p.profile === name)!;

const range = (r: Range, unit = '') =>
  r.min === r.max ? `fixed at ${r.min}${unit}` : `allowed ${r.min}-${r.max}${unit}`;

/** The correlated-cluster rule in one line: off, or its cap and what links markets. */
function clusterRule(p: RiskProfile): string {
  const b = profileBounds[p.profile];
  return p.cluster_cap_pct === null
    ? `off (${range(b.cluster_cap_pct, '%')} when set)`
    : `${`${p.cluster_cap_pct}%`.padEnd(8)} ${range(b.cluster_cap_pct, '%')}, shared by markets whose ${p.cluster_window_days}-day return correlation is ${p.cluster_min_correlation} or more`;
}

function describeProfile(p: RiskProfile, active: boolean): string {
  const b = profileBounds[p.profile];
  const leverage =
    p.profile !== 'high'
      ? 'never (only the high profile may use leverage)'
      : p.allow_leverage
        ? `allowed up to ${p.max_leverage}x (${range(b.max_leverage, 'x')})`
        : `not allowed (max_leverage ${p.max_leverage}x, ${range(b.max_leverage, 'x')})`;
  const confirm =
    p.profile === 'high'
      ? `; above ${confirmAbove.risk_per_trade_pct}% / ${confirmAbove.max_drawdown_pct}% needs confirmation`
      : '';
  return [
    `${active ? '*' : ' '} ${p.profile}${active ? ' (active)' : ''}`,
    `    risk per trade   ${`${p.risk_per_trade_pct}%`.padEnd(8)} ${range(b.risk_per_trade_pct, '%')}${confirm}`,
    `    max drawdown     ${`${p.max_drawdown_pct}%`.padEnd(8)} ${range(b.max_drawdown_pct, '%')}`,
    `    max positions    ${String(p.max_open_positions).padEnd(8)} ${range(b.max_open_positions)}`,
    `    category cap     ${`${p.category_cap_pct}%`.padEnd(8)} ${range(b.category_cap_pct, '%')}, not below the risk per trade`,
    `    leverage         ${leverage}`,
    `    cluster cap      ${clusterRule(p)}`,
  ].join('\n');
}

/** Flag name -> profile field; the values are typed text, checked by validateProfileEdit. */
const editFlags = [
  ['riskPerTrade', 'risk_per_trade_pct'],
  ['maxDrawdown', 'max_drawdown_pct'],
  ['maxPositions', 'max_open_positions'],
  ['categoryCap', 'category_cap_pct'],
  ['maxLeverage', 'max_leverage'],
  ['allowLeverage', 'allow_leverage'],
  ['clusterCap', 'cluster_cap_pct'],
  ['clusterMinCorrelation', 'cluster_min_correlation'],
  ['clusterWindowDays', 'cluster_window_days'],
] as const satisfies readonly (readonly [string, (typeof editableFields)[number]])[];

type EditFlags = YesFlag & Partial<Record<(typeof editFlags)[number][0], string>>;

/** Numbers and booleans as typed; anything else is passed on as text so the validator names it. */
function typed(text: string): unknown {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : text;
}

function patchFromFlags(opts: EditFlags): Record<string, unknown> {
  const patch = Object.fromEntries(
    editFlags
      .filter(([flag]) => opts[flag] !== undefined)
      // `--cluster-cap off` switches the correlated-cluster rule off.
      .map(([flag, field]) => [
        field,
        field === 'cluster_cap_pct' && opts[flag]!.trim() === 'off' ? null : typed(opts[flag]!),
      ]),
  );
  if (Object.keys(patch).length === 0) {
    throw new TraderError(
      'BAD_INPUT',
      'Nothing to edit; pass at least one of --risk-per-trade, --max-drawdown, --max-positions, --category-cap, --max-leverage, --allow-leverage, --cluster-cap, --cluster-min-correlation, --cluster-window-days.',
    );
  }
  return patch;
}

export function registerRiskCommands(program: Command): void {
  const risk = program
    .command('risk')
    .description('risk profiles: show them, switch the active one, edit their limits');

  withJson(risk.command('show'))
    .description('the three risk profiles with their allowed ranges; the active one is marked *')
    .addHelpText('after', '\nExample:\n  $ trader risk show')
    .action(
      action(async (opts: JsonFlag) => {
        const scope = tradingScope(systemModeFromEnv());
        const { state, profiles } = await withDb('risk show', (db) => readProfiles(db, scope));
        const doc = {
          ok: true,
          mode: scope.mode,
          active: state.risk_profile,
          leverage_enabled: state.leverage_enabled,
          confirm_above: confirmAbove,
          profiles: profiles.map((p) => ({
            ...p,
            active: p.profile === state.risk_profile,
            bounds: profileBounds[p.profile],
          })),
        };
        output(opts, doc, () =>
          [
            `${scope.mode} mode: the ${state.risk_profile} profile is active; leverage is ${state.leverage_enabled ? 'ACTIVE' : 'off'}.`,
            ...profiles.map((p) => describeProfile(p, p.profile === state.risk_profile)),
          ].join('\n'),
        );
      }),
    );

  withJson(risk.command('set <profile>'))
    .description('make low, medium or high the active profile; raising it asks for confirmation')
    .option('--yes', 'confirm without asking (for scripts)')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader risk set low\n  $ trader risk set high --yes\n\nLeaving high also switches leverage off.',
    )
    .action(
      action(async (text: string, opts: YesFlag) => {
        const to = parseProfile(text);
        const scope = tradingScope(systemModeFromEnv());
        const result = await withDb('risk set', (db) =>
          changeRiskProfile(db, scope, to, askOnTerminal({ yes: opts.yes })),
        );
        output(opts, { ok: true, ...result }, () =>
          [
            result.changed
              ? `The ${result.to} profile is now active (was ${result.from}).`
              : `The ${result.to} profile is already active; nothing changed.`,
            ...(result.leverage_disabled ? ['Leverage was switched off: only the high profile may use it.'] : []),
          ].join('\n'),
        );
      }),
    );

  withJson(risk.command('edit <profile>'))
    .description("change a profile's limits within its allowed range (see `trader risk show`)")
    .option('--risk-per-trade <pct>', 'risk_per_trade_pct: percent of equity one trade may lose')
    .option('--max-drawdown <pct>', 'max_drawdown_pct: drawdown from peak that halts trading')
    .option('--max-positions <n>', 'max_open_positions')
    .option('--category-cap <pct>', 'category_cap_pct: total risk in one category, percent of equity')
    .option('--max-leverage <x>', 'max_leverage (high only)')
    .option('--allow-leverage <true|false>', 'allow_leverage (high only)')
    .option(
      '--cluster-cap <pct|off>',
      'cluster_cap_pct: total risk in one correlated cluster, percent of equity; off = rule off',
    )
    .option(
      '--cluster-min-correlation <r>',
      'cluster_min_correlation: return correlation (0..1) that links two markets',
    )
    .option('--cluster-window-days <days>', 'cluster_window_days: days of returns the correlation is measured over')
    .option('--yes', 'confirm high-risk values without asking (for scripts)')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader risk edit medium --risk-per-trade 0.75 --max-positions 4\n  $ trader risk edit medium --cluster-cap 1.5 --cluster-min-correlation 0.7 --cluster-window-days 30\n\nOut-of-range values are refused, all of them named, and nothing is written.',
    )
    .action(
      action(async (text: string, opts: EditFlags) => {
        const profile = parseProfile(text);
        const patch = patchFromFlags(opts);
        const scope = tradingScope(systemModeFromEnv());
        const result = await withDb('risk edit', async (db) => {
          const { state, profiles } = await readProfiles(db, scope);
          const audit = {
            action_type: 'RISK_PROFILE_EDIT',
            risk_profile: state.risk_profile,
            details: { profile, patch },
          };
          const check = validateProfileEdit(byName(profiles, profile), patch);
          if (!check.ok) {
            await tradingTx(db, scope, (tx) =>
              recordAudit(tx, {
                ...audit,
                mode: scope.mode,
                actor: 'USER',
                status: 'FAILURE',
                details: { ...audit.details, problems: check.problems },
              }),
            );
            throw editRefused(profile, check.problems);
          }
          const needsConfirmation = check.warnings.length > 0;
          if (needsConfirmation) {
            const question = `${check.warnings.join('\n')}\nApply this edit to the ${profile} profile?`;
            await confirmOrRefuse(
              db,
              scope,
              state.risk_profile,
              askOnTerminal({ yes: opts.yes }),
              question,
              { action_type: audit.action_type, details: { ...audit.details, warnings: check.warnings } },
              new TraderError('BAD_INPUT', `You did not confirm; the ${profile} profile is unchanged.`),
            );
          }
          return editRiskProfile(db, scope, profile, patch, { confirmed: needsConfirmation });
        });
        output(opts, { ok: true, changed: result.changes.length > 0, ...result }, () =>
          [
            result.changes.length
              ? `Edited the ${profile} profile: ${result.changes.map((c) => `${c.field} ${c.from} -> ${c.to}`).join(', ')}.`
              : `The ${profile} profile already has these values; nothing changed.`,
            ...result.warnings.map((w) => `Warning: ${w}`),
            ...(result.leverage_disabled ? ['Leverage was switched off because the profile no longer allows it.'] : []),
          ].join('\n'),
        );
      }),
    );
}
