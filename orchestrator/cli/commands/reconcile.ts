import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import type { Db } from '../../../store/db.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { readKeyFile, keyFilePath } from '../../../trading/live-account/key-file.ts';
import { loadLiveAccount, noLiveAccount } from '../../../trading/live-account/live-account-repo.ts';
import { type LiveKeys, unlockWithKeyFile, unlockWithPin } from '../../../trading/live-account/unlock.ts';
import { openLivePort } from '../../../trading/live/live-port.ts';
import { acceptReconciliation } from '../../../trading/live/reconcile/accept.ts';
import { describeReport } from '../../../trading/live/reconcile/describe-report.ts';
import { reconcileAccount, type ReconcileReport } from '../../../trading/live/reconcile/reconcile.ts';
import { systemModeFromEnv, tradingScope, tradingTx } from '../../../trading/scope.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/**
 * `trader reconcile [--accept]`: one reconciliation cycle of the LIVE account on demand
 * (trading/live/reconcile/). The keys open with the key file when it is ready, else with
 * the master PIN; `--accept` always asks for the PIN (the key file cannot accept).
 */

interface ReconcileFlags extends JsonFlag {
  accept?: boolean;
  yes?: boolean;
}

const live = tradingScope('LIVE');

/** Exit code of a cycle: 0 all explained, 3 LIVE halted by an unexplained difference, 1 the exchange could not be read. */
function exitOf(r: ReconcileReport): number {
  return { reconciled: 0, halted: 3, unreachable: 1 }[r.outcome];
}

async function openKeys(db: Db, accept: boolean): Promise<LiveKeys> {
  if (!accept && readKeyFile(keyFilePath()).ok) return unlockWithKeyFile(db);
  return unlockWithPin(db, askOnTerminal());
}

export function registerReconcileCommand(program: Command): void {
  withJson(program.command('reconcile'))
    .description(
      'compare the LIVE account with its exchange (open orders, order history, trades with fees, balances), adopt fills made while trader was not running, halt LIVE on a difference nothing explains',
    )
    .option(
      '--accept',
      "accept the unexplained differences: the database takes the exchange's balances and LIVE resumes (master PIN)",
    )
    .option('--yes', 'with --accept: accept without asking (the PIN is still asked)')
    .addHelpText(
      'after',
      '\nExample:\n  $ TRADER_SYSTEM_MODE=LIVE trader reconcile\n  $ TRADER_SYSTEM_MODE=LIVE trader reconcile --accept\n  Master PIN: \n\nExit codes: 0 everything explained (or accepted), 3 an unexplained difference halted LIVE trading, 1 the exchange could not be reached, 2 not in LIVE, no LIVE account, wrong PIN or a declined acceptance, 4 PIN entry locked.',
    )
    .action(
      action(async (flags: ReconcileFlags) => {
        if (systemModeFromEnv() !== 'LIVE')
          throw new TraderError(
            'BAD_INPUT',
            'Reconciliation compares the LIVE account with its exchange; run it with TRADER_SYSTEM_MODE=LIVE.',
          );
        const { report, accepted } = await withDb('reconcile', async (db) => {
          if (!(await tradingTx(db, live, loadLiveAccount))) throw noLiveAccount();
          const keys = await openKeys(db, flags.accept ?? false);
          const port = await openLivePort(keys);
          if (!flags.accept) return { report: await reconcileAccount(db, port), accepted: null };
          const r = await acceptReconciliation(db, port, { keys, ask: askOnTerminal({ yes: flags.yes }) });
          return { report: r.report, accepted: r.accepted };
        });
        const ok = accepted !== null ? report.outcome !== 'unreachable' : report.outcome === 'reconciled';
        output(flags, { ok, ...report, accepted }, () => describeReport(report, accepted));
        return accepted !== null ? 0 : exitOf(report);
      }),
    );
}
