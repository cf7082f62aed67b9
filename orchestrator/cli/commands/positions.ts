import type { Command } from 'commander';
import { TraderError } from '../../../core/errors.ts';
import { closeByUser } from '../../../trading/engine/close-by-user.ts';
import { paperCosts } from '../../../trading/paper/paper-costs.ts';
import { confirmOrRefuse } from '../../../trading/governance/user-action.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { portfolioSnapshot, type PortfolioSnapshot } from '../../../trading/portfolio.ts';
import {
  initPaperAccount,
  listClosedPositions,
  listTrades,
  type Position,
  type Trade,
} from '../../../trading/positions-repo.ts';
import { systemModeFromEnv, tradingScope, tradingTx } from '../../../trading/scope.ts';
import { loadState } from '../../../trading/state-repo.ts';
import { action, badInput, moneyAmount, output, positionId, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { checkSymbols } from '../../../engine/run/check-symbols.ts';
import { costsFromParity, type CostsFromParityFlags } from './paper-costs-parity.ts';
import { table } from '../table.ts';
import { quote } from '../../../core/quote.ts';

/** `trader positions`, `trader trades` and `trader paper init`: the paper (or reconciled live) book, read-only except the paper reset. */

const money = (n: number) => n.toFixed(2);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${money(n)}`;
const price = (n: number) => String(Number(n.toPrecision(10)));
const iso = (d: Date) => d.toISOString().replace(':00.000Z', 'Z');

function parseLimit(raw: string): number {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw badInput(`--limit must be a whole number from 1 to 1000, not ${quote(raw)}.`);
  return limit;
}

/** LIVE's equity as the last reconciliation valued the exchange's balances: what status and the drawdown use. */
type Reconciled = { equity: number; as_of: Date | null };

function bookHead(mode: string, s: PortfolioSnapshot, reconciled: Reconciled | null): string {
  const marked = `equity ${money(s.equity)} ${s.currency}, free ${money(s.free_balance)}`;
  if (!reconciled) return `${mode} book at ${iso(s.as_of)}: ${marked}`;
  const exchange = reconciled.as_of
    ? `equity ${money(reconciled.equity)} ${s.currency} as reconciled with the exchange at ${iso(reconciled.as_of)} (what status and the drawdown use)`
    : 'not reconciled with the exchange yet (`trader reconcile`)';
  return `${mode} book at ${iso(s.as_of)}: ${exchange}\nMarked at the cached candles: ${marked}`;
}

function renderOpen(mode: string, s: PortfolioSnapshot, reconciled: Reconciled | null): string {
  const head = bookHead(mode, s, reconciled);
  if (s.positions.length === 0) return `${head}\nNo open positions.`;
  const rows = s.positions.map((p) => [
    `#${p.position_id}`,
    p.symbol,
    p.side,
    price(p.open_qty),
    price(p.entry_price),
    price(p.stop_price),
    p.last_price === null ? 'none since entry' : price(p.last_price),
    p.price_as_of ? iso(p.price_as_of) : '-',
    signed(p.unrealized_pnl),
    money(p.margin),
    `x${p.leverage}`,
  ]);
  const header = ['id', 'symbol', 'side', 'qty', 'entry', 'stop', 'last', 'last at', 'uP&L', 'margin', 'leverage'];
  return [head, 'Open positions:', table(header, rows)].join('\n');
}

function renderClosed(closed: Position[]): string {
  if (closed.length === 0) return 'No closed positions.';
  const rows = closed.map((p) => [
    `#${p.position_id}`,
    p.symbol,
    p.side,
    price(p.qty),
    price(p.entry_price),
    p.close_reason ?? '-',
    iso(p.closed_at!),
    signed(p.realized_pnl),
    money(p.fees_paid),
    signed(p.realized_pnl - p.fees_paid),
  ]);
  const header = ['id', 'symbol', 'side', 'qty', 'entry', 'closed by', 'closed at', 'realised', 'fees', 'net'];
  return ['Closed positions (newest first):', table(header, rows)].join('\n');
}

function renderTrades(trades: Trade[]): string {
  if (trades.length === 0) return 'No trades yet.';
  return table(
    ['time', 'position', 'symbol', 'kind', 'side', 'qty', 'price', 'fee', 'P&L', 'cash', 'asset'],
    trades.map((t) => [
      iso(t.ts),
      `#${t.position_id}`,
      t.symbol,
      t.kind,
      t.side,
      price(t.qty),
      price(t.price),
      money(t.fee),
      signed(t.realized_pnl),
      signed(t.cash_delta),
      t.fee_asset,
    ]),
  );
}

export function registerPositionsCommands(program: Command): void {
  withJson(program.command('positions'))
    .description(
      'open positions with unrealised P&L at the newest cached candle (LIVE: and the equity reconciled with the exchange); --all adds closed ones with realised P&L and fees',
    )
    .option('--all', 'also list closed positions')
    .option('--limit <n>', 'how many closed positions with --all', '50')
    .addHelpText('after', '\nExample:\n  $ trader positions\n  $ trader positions --all --json')
    .action(
      action(async (opts: JsonFlag & { all?: boolean; limit: string }) => {
        const limit = parseLimit(opts.limit);
        const scope = tradingScope(systemModeFromEnv());
        const { snapshot, closed, state } = await withDb('positions', (db) =>
          tradingTx(db, scope, async (tx) => ({
            snapshot: await portfolioSnapshot(tx, scope, new Date()),
            closed: opts.all ? await listClosedPositions(tx, scope, limit) : [],
            state: await loadState(tx, scope),
          })),
        );
        const reconciled = scope.mode === 'LIVE' ? { equity: state.equity, as_of: state.equity_as_of } : null;
        output(
          opts,
          {
            ok: true,
            mode: scope.mode,
            ...snapshot,
            ...(reconciled ? { reconciled } : {}),
            ...(opts.all ? { closed } : {}),
          },
          () =>
            [renderOpen(scope.mode, snapshot, reconciled), ...(opts.all ? [renderClosed(closed)] : [])].join('\n\n'),
        );
      }),
    );

  withJson(program.command('trades'))
    .description('recorded fills (entries, stops, take-profits, closes), newest first')
    .option('--symbol <symbol>', 'only this market, like BTC/USDT')
    .option('--limit <n>', 'how many trades', '50')
    .addHelpText('after', '\nExample:\n  $ trader trades --symbol BTC/USDT --limit 20')
    .action(
      action(async (opts: JsonFlag & { symbol?: string; limit: string }) => {
        const limit = parseLimit(opts.limit);
        if (opts.symbol !== undefined) checkSymbols([opts.symbol]);
        const scope = tradingScope(systemModeFromEnv());
        const trades = await withDb('trades', (db) =>
          tradingTx(db, scope, (tx) => listTrades(tx, scope, { symbol: opts.symbol, limit })),
        );
        output(opts, { ok: true, mode: scope.mode, trades }, () => renderTrades(trades));
      }),
    );

  const paper = program.command('paper').description('the TEST paper account');
  withJson(paper.command('init'))
    .description('start the TEST paper account with a quote balance; only before its first trade, never in LIVE')
    .requiredOption('--balance <amount>', 'starting balance in the quote currency, like 10000')
    .option('--yes', 'confirm without asking (for scripts)')
    .addHelpText('after', '\nExample:\n  $ trader paper init --balance 25000 --yes')
    .action(
      action(async (opts: JsonFlag & { balance: string; yes?: boolean }) => {
        const balance = moneyAmount(opts.balance, '--balance');
        const scope = tradingScope(systemModeFromEnv());
        if (scope.mode !== 'TEST')
          throw new TraderError(
            'CONFIG_INVALID',
            'paper init works only in TEST mode; LIVE balances come from the exchange.',
          );
        const account = await withDb('paper init', async (db) => {
          const state = await tradingTx(db, scope, (tx) => loadState(tx, scope));
          await confirmOrRefuse(
            db,
            scope,
            state.risk_profile,
            askOnTerminal({ yes: opts.yes }),
            `Start the TEST paper account over with ${balance} ${state.quote_currency}?`,
            { action_type: 'PAPER_ACCOUNT_INITIALISED', details: { balance, currency: state.quote_currency } },
            new TraderError('BAD_INPUT', 'You did not confirm; the paper account is unchanged.'),
          );
          return initPaperAccount(db, scope, balance);
        });
        output(
          opts,
          { ok: true, mode: scope.mode, ...account },
          () => `TEST paper account: ${money(account.balance)} ${account.currency}`,
        );
      }),
    );

  withJson(paper.command('close <position_id>'))
    .description(
      'close an open paper position now, at the newest cached close (stops and targets already hit fill first)',
    )
    .option('--yes', 'confirm without asking (for scripts)')
    .addHelpText('after', '\nExample:\n  $ trader paper close 7 --yes')
    .action(
      action(async (raw: string, opts: JsonFlag & { yes?: boolean }) => {
        const id = positionId(raw);
        const scope = tradingScope(systemModeFromEnv());
        const fill = await withDb('paper close', async (db) => {
          const state = await tradingTx(db, scope, (tx) => loadState(tx, scope));
          await confirmOrRefuse(
            db,
            scope,
            state.risk_profile,
            askOnTerminal({ yes: opts.yes }),
            `Close position ${id} at the market now?`,
            { action_type: 'POSITION_CLOSE_REQUEST', details: { position_id: id } },
            new TraderError('BAD_INPUT', `You did not confirm; position ${id} stays open.`),
          );
          return closeByUser(db, scope, id);
        });
        output(
          opts,
          { ok: true, mode: scope.mode, fill },
          () =>
            `Closed position ${id}: ${fill.side} ${price(fill.qty)} ${fill.symbol} at ${price(fill.price)}, P&L ${signed(fill.realized_pnl)}.`,
        );
      }),
    );

  withJson(paper.command('costs'))
    .description('show, or change from the next fill on, the paper fee and slippage (basis points)')
    .option('--fee-bps <bps>', 'fee per fill, 0-100 basis points of the notional (default 10)')
    .option('--slippage-bps <bps>', 'slippage per fill, 0-500 basis points (default 5)')
    .option(
      '--from-parity',
      "set both from the LIVE entry fills of the window's runs, as `trader parity` measures them",
    )
    .option('--from <time>', 'with --from-parity: runs decided from this UTC time on (default: 30 days before --to)')
    .option('--to <time>', 'with --from-parity: runs decided before this UTC time (default: now)')
    .option('--yes', 'with --from-parity: confirm without asking (for scripts)')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader paper costs --fee-bps 7.5 --slippage-bps 10\n  $ trader paper costs --from-parity --from 2026-11-01 --to 2026-12-01',
    )
    .action(
      action(async (opts: JsonFlag & CostsFromParityFlags & { feeBps?: string; slippageBps?: string }) => {
        if (opts.fromParity || opts.from !== undefined || opts.to !== undefined || opts.yes)
          return costsFromParity(opts, opts.feeBps !== undefined || opts.slippageBps !== undefined);
        const bps = (raw: string | undefined, flag: string) => {
          if (raw === undefined) return undefined;
          const n = Number(raw);
          if (raw.trim() === '' || !Number.isFinite(n))
            throw badInput(`${flag} must be a number of basis points, not ${quote(raw)}.`);
          return n;
        };
        const change = {
          paper_fee_bps: bps(opts.feeBps, '--fee-bps'),
          paper_slippage_bps: bps(opts.slippageBps, '--slippage-bps'),
        };
        const scope = tradingScope(systemModeFromEnv());
        const costs = await withDb('paper costs', (db) => paperCosts(db, scope, change));
        output(
          opts,
          { ok: true, mode: scope.mode, ...costs },
          () => `paper fee ${costs.paper_fee_bps} bps, slippage ${costs.paper_slippage_bps} bps per fill`,
        );
      }),
    );
}
