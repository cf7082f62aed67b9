import { TraderError } from '../../../core/errors.ts';
import { measureCosts } from '../../../backtest/parity/costs-from-parity.ts';
import { confirmOrRefuse } from '../../../trading/governance/user-action.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { paperCosts } from '../../../trading/paper/paper-costs.ts';
import { systemModeFromEnv, tradingScope, tradingTx } from '../../../trading/scope.ts';
import { loadState } from '../../../trading/state-repo.ts';
import { badInput, output, withDb, type JsonFlag } from '../command-kit.ts';
import { windowOf } from './parity.ts';
import { resolveWindow } from '../../../backtest/parity/parity-load.ts';

/** `trader paper costs --from-parity`: the paper fill model set from what LIVE fills measured, after asking. */

export interface CostsFromParityFlags {
  fromParity?: boolean;
  from?: string;
  to?: string;
  yes?: boolean;
}

export async function costsFromParity(opts: JsonFlag & CostsFromParityFlags, typedCosts: boolean): Promise<void> {
  if (!opts.fromParity) throw badInput('--from, --to and --yes go with --from-parity.');
  if (typedCosts) throw badInput('--from-parity measures both costs; leave out --fee-bps and --slippage-bps.');
  const w = windowOf(opts);
  const scope = tradingScope(systemModeFromEnv());
  if (scope.mode !== 'TEST')
    throw new TraderError('CONFIG_INVALID', "Paper costs exist only in TEST mode; LIVE fills are the exchange's.");
  const result = await withDb('paper costs', async (db) => {
    const m = await measureCosts(db, await resolveWindow(db, w, null));
    const origin = { source: 'parity' as const, fills: m.fills, from: m.from, to: m.to };
    const state = await tradingTx(db, scope, (tx) => loadState(tx, scope));
    await confirmOrRefuse(
      db,
      scope,
      state.risk_profile,
      askOnTerminal({ yes: opts.yes }),
      `Set the paper costs from ${m.fills} LIVE fill(s): fee ${m.old.paper_fee_bps} -> ${m.new.paper_fee_bps} bps, slippage ${m.old.paper_slippage_bps} -> ${m.new.paper_slippage_bps} bps?`,
      { action_type: 'PAPER_COSTS_CHANGED', details: { old: m.old, new: m.new, ...origin } },
      new TraderError('BAD_INPUT', 'You did not confirm; the paper costs are unchanged.'),
    );
    return { ...m, now: await paperCosts(db, scope, m.new, origin) };
  });
  output(
    opts,
    { ok: true, mode: scope.mode, source: 'parity', fills: result.fills, old: result.old, ...result.now },
    () =>
      `paper fee ${result.old.paper_fee_bps} -> ${result.now.paper_fee_bps} bps, slippage ${result.old.paper_slippage_bps} -> ${result.now.paper_slippage_bps} bps per fill (measured from ${result.fills} LIVE fill(s))`,
  );
}
