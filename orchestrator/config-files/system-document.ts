import { z } from 'zod';
import { CorrelationSettings, readCorrelationSettings } from '../../analysis/correlation-settings.ts';
import { AssetRow } from '../../registry/rows.ts';
import { MarketSymbol } from '../../sdk/context-schemas.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import { SystemMode, type TradingScope } from '../../trading/scope.ts';
import { HaltAction, loadRiskProfiles, loadState, OperationalMode, RiskProfileName } from '../../trading/state-repo.ts';

/**
 * The system's settings as one file (`trader config export|apply`): what the seed's
 * config.yaml holds and trader stores today. Every section is optional in a file: a
 * section (or a field of a section) left out stays as it is; `markets`, when given, is the
 * whole list. Bounds are checked where the CLI checks them (risk profiles by their ranges).
 */

const Profile = z.strictObject({
  risk_per_trade_pct: z.number(),
  max_drawdown_pct: z.number(),
  max_open_positions: z.number(),
  category_cap_pct: z.number(),
  allow_leverage: z.boolean(),
  max_leverage: z.number(),
  /** The correlated-cluster rule: null (off) or the cap in percent of equity. */
  cluster_cap_pct: z.number().nullable(),
  cluster_min_correlation: z.number(),
  cluster_window_days: z.number(),
});

const DrawdownLimit = z.number().gt(0).max(50);

const Market = z.strictObject({
  category: z.string().min(1).max(40).default('major'),
  strategy: z.string().max(64).nullable().default(null),
  active: z.boolean().default(true),
  /** Per-module param overrides: `{ module_id: { param: value } }`. */
  module_params: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  disabled_modules: z.array(z.string()).default([]),
});

export const SystemFile = z.strictObject({
  /** Which system mode's settings these are; applying to the other mode is refused. */
  system_mode: SystemMode.optional(),
  system: z
    .strictObject({
      operational_mode: OperationalMode,
      risk_profile: RiskProfileName,
      emergency_halt_action: HaltAction,
      /** LIVE: false skips the free-balance query before an entry (the risk gate always runs). */
      require_jit_checks: z.boolean(),
    })
    .partial()
    .optional(),
  risk_profiles: z
    .strictObject({ low: Profile.partial(), medium: Profile.partial(), high: Profile.partial() })
    .partial()
    .optional(),
  leverage: z.strictObject({ active: z.boolean() }).partial().optional(),
  paper: z
    .strictObject({
      fee_bps: z.number().min(0).max(100),
      slippage_bps: z.number().min(0).max(500),
    })
    .partial()
    .optional(),
  proposals: z
    .strictObject({ ttl_minutes: z.number().int('must be a whole number').min(1).max(10080) })
    .partial()
    .optional(),
  strategies: z
    .strictObject({
      /** An optimiser study's winner waits for `trader strategy proposals approve` (PROPOSED) instead of trading at once. */
      require_strategy_approval: z.boolean(),
      /** How much a strategy's recent LIVE (TEST: paper) record weighs in its final score against a study's winner (0..1). */
      live_performance_feedback_weight: z.number().min(0).max(1),
      /** Per target profile: the drawdown no trial of a study may exceed and still win, percent. */
      optimizer_max_strategy_drawdown_pct: z
        .strictObject({ low: DrawdownLimit, medium: DrawdownLimit, high: DrawdownLimit })
        .partial(),
    })
    .partial()
    .optional(),
  /** The optional lead-coin correlation analysis (analysis/); off by default, never trades. */
  correlation: CorrelationSettings.partial().optional(),
  markets: z
    .record(z.string(), Market)
    .superRefine((m, ctx) => {
      for (const symbol of Object.keys(m))
        if (!MarketSymbol.safeParse(symbol).success)
          ctx.addIssue({ code: 'custom', path: [symbol], message: 'is not a symbol like BTC/USDT' });
    })
    .optional(),
});
export type SystemFile = z.infer<typeof SystemFile>;
export type Market = z.infer<typeof Market>;

/** A complete document: every section present (what export writes and apply compares). */
export type SystemDoc = SystemFile & {
  system_mode: SystemMode;
  system: Required<NonNullable<SystemFile['system']>>;
  risk_profiles: Record<RiskProfileName, z.infer<typeof Profile>>;
  leverage: { active: boolean };
  proposals: { ttl_minutes: number };
  strategies: {
    require_strategy_approval: boolean;
    live_performance_feedback_weight: number;
    optimizer_max_strategy_drawdown_pct: Record<RiskProfileName, number>;
  };
  correlation: CorrelationSettings;
  markets: Record<string, Market>;
};

/** The stored settings of the scope's system mode as a complete document. */
export async function readSystemDoc(q: Queryable, scope: TradingScope): Promise<SystemDoc> {
  const state = await loadState(q, scope);
  const profiles = await loadRiskProfiles(q, scope);
  const assets = await queryRows(q, AssetRow, 'select * from asset_config order by symbol');
  const limits = await q.query<{ profile: RiskProfileName; pct: string }>(
    `select profile, optimizer_max_strategy_drawdown_pct::text as pct from ${scope.table('risk_profiles')}`,
  );
  return {
    system_mode: scope.mode,
    system: {
      operational_mode: state.operational_mode,
      risk_profile: state.risk_profile,
      emergency_halt_action: state.emergency_halt_action,
      require_jit_checks: state.require_jit_checks,
    },
    risk_profiles: Object.fromEntries(profiles.map(({ profile, ...p }) => [profile, p])) as SystemDoc['risk_profiles'],
    leverage: { active: state.leverage_enabled },
    // The paper account exists in TEST only.
    ...(scope.mode === 'TEST'
      ? { paper: { fee_bps: state.paper_fee_bps, slippage_bps: state.paper_slippage_bps } }
      : {}),
    proposals: { ttl_minutes: state.proposal_ttl_minutes },
    strategies: {
      require_strategy_approval: state.require_strategy_approval,
      live_performance_feedback_weight: state.live_performance_feedback_weight,
      optimizer_max_strategy_drawdown_pct: Object.fromEntries(
        RiskProfileName.options.map((p) => [p, Number(limits.find((l) => l.profile === p)!.pct)]),
      ) as Record<RiskProfileName, number>,
    },
    correlation: await readCorrelationSettings(q),
    markets: Object.fromEntries(
      assets.map((a) => [
        a.symbol,
        {
          category: a.category,
          strategy: a.strategy_id,
          active: a.is_active,
          module_params: a.module_params,
          disabled_modules: a.disabled_modules,
        },
      ]),
    ),
  };
}

/** A file's sections laid over the current settings: what the settings would be after the apply. */
export function completeSystemDoc(file: SystemFile, current: SystemDoc): SystemDoc {
  const profile = (p: RiskProfileName) => ({ ...current.risk_profiles[p], ...file.risk_profiles?.[p] });
  return {
    system_mode: file.system_mode ?? current.system_mode,
    system: { ...current.system, ...file.system },
    risk_profiles: { low: profile('low'), medium: profile('medium'), high: profile('high') },
    leverage: { ...current.leverage, ...file.leverage },
    ...(current.paper || file.paper ? { paper: { ...current.paper, ...file.paper } } : {}),
    proposals: { ...current.proposals, ...file.proposals },
    strategies: {
      require_strategy_approval:
        file.strategies?.require_strategy_approval ?? current.strategies.require_strategy_approval,
      live_performance_feedback_weight:
        file.strategies?.live_performance_feedback_weight ?? current.strategies.live_performance_feedback_weight,
      optimizer_max_strategy_drawdown_pct: {
        ...current.strategies.optimizer_max_strategy_drawdown_pct,
        ...file.strategies?.optimizer_max_strategy_drawdown_pct,
      },
    },
    correlation: { ...current.correlation, ...file.correlation },
    markets: file.markets ?? current.markets,
  };
}
