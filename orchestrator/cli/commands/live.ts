import type { Command } from 'commander';
import { prompter } from '../../../core/prompt.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { describeInit, initLiveAccount, liveRiskPhrase } from '../../../trading/live-account/live-init.ts';
import { createKeyFile } from '../../../trading/live-account/unlock.ts';
import { closeLiveByUser, describeUserClose } from '../../../trading/live/close-by-user-live.ts';
import { liveBrokerWithPin } from '../../../trading/broker-for.ts';
import { systemModeFromEnv } from '../../../trading/scope.ts';
import { TraderError } from '../../../core/errors.ts';
import { action, moneyAmount, output, positionId, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/**
 * `trader live`: going live deliberately, and closing a LIVE position by hand. The use cases
 * are in trading/live-account/ and trading/live/close-by-user-live.ts; this
 * adapter parses flags and answers their questions from the terminal, or one stdin line
 * each when piped. The API key and secret are never taken from argv or the environment.
 */

interface InitFlags extends JsonFlag {
  exchange: string;
  sandbox?: boolean;
  maxOrderNotional: string;
  maxDailyNotional: string;
  replace?: boolean;
}

export function registerLiveCommands(program: Command): void {
  const live = program
    .command('live')
    .description('the LIVE account: initialise it (keys, caps), the unattended key file, close a position by hand');

  withJson(live.command('init'))
    .description(
      `create the LIVE account: the typed phrase ${liveRiskPhrase}, the master PIN, the API key and secret (checked read-only against the exchange, stored encrypted), and notional caps per order and per UTC day`,
    )
    .option('--exchange <id>', 'ccxt exchange id', 'binance')
    .option('--sandbox', "use the exchange's testnet through ccxt")
    .requiredOption('--max-order-notional <amount>', 'the most one LIVE order may be worth, in the quote currency')
    .requiredOption(
      '--max-daily-notional <amount>',
      'the most LIVE entries may be worth per UTC day, in the quote currency',
    )
    .option(
      '--replace',
      'replace an existing LIVE account: new keys and caps; every pipeline needs a first approval again',
    )
    .addHelpText(
      'after',
      `\nExample:\n  $ trader live init --max-order-notional 100 --max-daily-notional 500\n  Type ${liveRiskPhrase}: \n  Master PIN: \n  API key: \n  API secret: \n\nPiped, stdin gives one line per question, in that order.\nExit codes: 0 initialised, 2 bad flag, wrong phrase, wrong PIN, refused key or an account that exists (use --replace), 1 the exchange could not be reached, 4 PIN entry locked.`,
    )
    .action(
      action(async (flags: InitFlags) => {
        const input = {
          exchange: flags.exchange,
          sandbox: flags.sandbox ?? false,
          max_order_notional: moneyAmount(flags.maxOrderNotional, '--max-order-notional', '100'),
          max_daily_notional: moneyAmount(flags.maxDailyNotional, '--max-daily-notional', '500'),
          replace: flags.replace ?? false,
        };
        const terminal = askOnTerminal();
        const r = await withDb('live init', (db) =>
          initLiveAccount(db, input, { phrase: terminal.phrase, pin: terminal.pin, secret: (l) => prompter.secret(l) }),
        );
        output(
          flags,
          { ok: true, account: r.account, replaced: r.replaced, assets: r.balances.map((b) => b.asset) },
          () => describeInit(r),
        );
      }),
    );

  withJson(live.command('key-file'))
    .description(
      'write the unattended key file (TRADER_LIVE_KEY_FILE, else TRADER_HOME/live.key, mode 0600) that lets serve and schedule run open the LIVE key without the PIN',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader live key-file\n  Master PIN: \n\nThe file opens the LIVE API key only (never the PIN); keep it 0600 and owned by you, or it is refused.',
    )
    .action(
      action(async (opts: JsonFlag) => {
        const r = await withDb('live key-file', (db) => createKeyFile(db, askOnTerminal()));
        output(
          opts,
          { ok: true, file: r.file, exchange: r.account.exchange },
          () =>
            `Wrote ${r.file} (0600): trader serve and trader schedule run in LIVE open the ${r.account.exchange} key with it. Anyone who can read it can trade with that key.`,
        );
      }),
    );

  withJson(live.command('close <position_id>'))
    .description(
      'close one open LIVE position now, at market on the exchange: its stop and targets are cancelled, what is left is sold, the real fills and fees booked (master PIN)',
    )
    .option('--yes', 'close without asking (the master PIN is still asked)')
    .addHelpText(
      'after',
      '\nExample:\n  $ TRADER_SYSTEM_MODE=LIVE trader live close 7\n  Master PIN: \n\nExit codes: 0 closed (or only unsellable dust left), 2 not in LIVE (TEST: `trader paper close`), no LIVE account, a bad, unknown or closed position, a declined confirmation or a wrong PIN, 1 the exchange could not be reached or did not complete the sale (the position stays open; the sentence says whether its stop is still on the exchange), 4 PIN entry locked.',
    )
    .action(
      action(async (raw: string, flags: JsonFlag & { yes?: boolean }) => {
        const id = positionId(raw);
        if (systemModeFromEnv() !== 'LIVE')
          throw new TraderError(
            'BAD_INPUT',
            'A LIVE position is closed on the exchange with TRADER_SYSTEM_MODE=LIVE; in TEST close a paper position with `trader paper close`.',
          );
        const r = await withDb('live close', (db) =>
          closeLiveByUser(db, id, {
            ask: askOnTerminal({ yes: flags.yes }),
            // A LIVE order always needs the master PIN: it opens the account's keys for this process.
            openBroker: () => liveBrokerWithPin(db, askOnTerminal()),
          }),
        );
        output(flags, { ok: true, ...r }, () => describeUserClose(r));
      }),
    );
}
