import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleDataDir } from '../../core/paths.ts';
import { importCandleCsv } from '../../market/import-csv.ts';
import type { Queryable } from '../../store/db.ts';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import { monitorPositions } from '../../trading/paper/position-monitor.ts';
import { markToMarket } from '../../trading/portfolio.ts';
import { listTrades, walletLedgerCheck } from '../../trading/positions-repo.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * Real candles: Binance BTC/USDT 1h around the 12 March 2020 crash (data/sample/PROVENANCE.md).
 * A long opened at 2020-03-12T00:00Z at the previous close 7934.52, stop 7300 (below the
 * morning's 7310 low), sized to risk 100 USDT (1% of 10,000) and rounded down to 0.00001 BTC.
 * The 10:00 candle (open 7354.99, low 5550) runs through the stop without gapping it.
 */

const scope = tradingScope('TEST');
const H = 3_600_000;
const ENTRY = 7934.52;
const STOP = 7300;
const QTY = 0.15759; // floor(100 / (7934.52 - 7300), 5 decimals)
const AS_OF = new Date('2020-03-12T00:00:00Z');

// Costs are the defaults: fee 10 bps, slippage 5 bps.
const ENTRY_FILL = 7938.48726; // 7934.52 * 1.0005
const EXIT_FILL = 7296.35; // 7300 * 0.9995
const ENTRY_FEE = 1.2510262073034; // QTY * ENTRY_FILL * 0.001
const EXIT_FEE = 1.1498317965; // QTY * EXIT_FILL * 0.001
const PRICE_PNL = -101.1944108034; // (EXIT_FILL - ENTRY_FILL) * QTY
const TOTAL_LOSS = 103.5952688072; // -PRICE_PNL + ENTRY_FEE + EXIT_FEE
const PLANNED_RISK = 99.9940068; // QTY * (ENTRY - STOP)

describe.each(backends)('a long through the March 2020 crash on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const tx = <T>(fn: (t: Queryable) => Promise<T>) => tradingTx(db, scope, fn);

  it('is stopped out at the stop in the 10:00 candle, losing the planned risk plus slippage and fees', async () => {
    db = await freshDb(kind);
    await importCandleCsv(db, {
      file: path.join(sampleDataDir, 'binance_BTC-USDT_1h_2020-03.csv'),
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    });
    const opened = await tx((t) =>
      paperBroker(scope).open(t, {
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1h',
        category: 'major',
        side: 'buy',
        qty: QTY,
        entry: ENTRY,
        stop: STOP,
        take_profits: [
          { price: 8500, fraction: 0.5 },
          { price: 9000, fraction: 0.5 },
        ],
        leverage: 1,
        risk_amount: PLANNED_RISK,
        risk_pct: 1,
        strategy_id: 'crash-test',
        strategy_version: null,
        source_module: null,
        run_id: null,
        proposal_id: null,
        as_of: AS_OF,
      }),
    );
    if (!opened.ok) throw new Error(opened.message);
    expect(opened.fill_price).toBeCloseTo(ENTRY_FILL, 8);
    expect(opened.fee).toBeCloseTo(ENTRY_FEE, 10);

    // Hour by hour, as a scheduled pipeline would run it: nothing fills until the 10:00 candle has closed.
    const fills = [];
    for (let hour = 1; hour <= 14; hour++)
      fills.push(...(await tx((t) => monitorPositions(t, scope, new Date(AS_OF.getTime() + hour * H)))));
    expect(fills).toHaveLength(1);
    const [stop] = fills;
    expect(stop).toMatchObject({
      kind: 'stop_loss',
      side: 'sell',
      qty: QTY,
      closed: true,
      ts: new Date('2020-03-12T11:00:00Z'),
    });
    expect(stop!.price).toBeCloseTo(EXIT_FILL, 8);
    expect(stop!.fee).toBeCloseTo(EXIT_FEE, 10);
    expect(stop!.realized_pnl).toBeCloseTo(PRICE_PNL, 8);

    const trades = await tx((t) => listTrades(t, scope, { limit: 10 }));
    const loss = -trades.reduce((s, t) => s + t.cash_delta, 0);
    expect(loss).toBeCloseTo(TOTAL_LOSS, 8);
    // The loss is the planned risk plus what slippage and fees cost on both fills.
    const slippageCost = QTY * (ENTRY_FILL - ENTRY) + QTY * (STOP - EXIT_FILL);
    expect(loss).toBeCloseTo(PLANNED_RISK + slippageCost + ENTRY_FEE + EXIT_FEE, 8);

    const { state, snapshot } = await tx((t) => markToMarket(t, scope, new Date(AS_OF.getTime() + 14 * H)));
    expect(snapshot.positions).toEqual([]);
    expect(state.equity).toBeCloseTo(10_000 - TOTAL_LOSS, 8);
    expect(state.peak_equity).toBe(10_000);
    expect(state.drawdown_pct).toBeCloseTo(TOTAL_LOSS / 100, 8);
    expect((await tx((t) => walletLedgerCheck(t, scope))).reconciles).toBe(true);
  });
});
