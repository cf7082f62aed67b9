import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterCorrelationsAsOf } from '../../analysis/stored-returns.ts';
import { ReplayCorrelations } from '../../backtest/cluster-correlations.ts';
import { sampleDataDir } from '../../core/paths.ts';
import { importCandleCsv } from '../../market/import-csv.ts';
import { runGate } from '../../trading/engine/gate-check.ts';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import type { ProposedOrder } from '../../trading/proposals/proposals-repo.ts';
import { editRiskProfile } from '../../trading/risk-profiles.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { loadRiskProfile } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { paperOrder } from '../helpers/paper-order.ts';
import { sampleCandles } from '../helpers/sample-candles.ts';

/**
 * The live risk gate with the correlated-cluster rule, on the shipped BTC and ETH 1h 2024
 * candles (strongly correlated): an open BTC position risking 1% and an ETH intent risking
 * 0.76%. One database per backend; the cases change only the profile, in order.
 */

const scope = tradingScope('TEST');
const asOf = new Date('2024-04-01T00:00:00Z');

const ethIntent: ProposedOrder = {
  exchange: 'binance',
  symbol: 'ETH/USDT',
  timeframe: '1h',
  category: 'major',
  side: 'buy',
  qty: 0.2,
  entry: 3800,
  stop: 3420,
  take_profits: [{ price: 4500, fraction: 1 }],
  leverage: 1,
  risk_amount: 76,
  risk_pct: 0.76,
  notional: 760,
};

describe.each(backends)('correlated-cluster rule in the live gate on %s', (kind) => {
  let db: TestDb;
  const gate = () => tradingTx(db, scope, (tx) => runGate(tx, scope, ethIntent, { asOf, approved: false }));
  const cluster = async () => (await gate()).verdict.checks.find((c) => c.rule === 'correlation_cluster')!;
  const edit = (patch: Record<string, unknown>) => editRiskProfile(db, scope, 'medium', patch, { confirmed: false });

  beforeAll(async () => {
    db = await freshDb(kind);
    for (const base of ['BTC', 'ETH'])
      await importCandleCsv(db, {
        file: path.join(sampleDataDir, `binance_${base}-USDT_1h_2024.csv`),
        exchange: 'binance',
        symbol: `${base}/USDT`,
        timeframe: '1h',
      });
    const opened = await tradingTx(db, scope, (tx) =>
      paperBroker(scope).open(
        tx,
        paperOrder({
          entry: 67_000,
          stop: 62_000,
          qty: 0.02,
          risk_amount: 100,
          as_of: new Date('2024-03-31T00:00:00Z'),
        }),
      ),
    );
    expect(opened.ok).toBe(true);
  });
  afterAll(async () => db?.dispose());

  it('with the rule off (the default) accepts the second correlated position', async () => {
    const { verdict } = await gate();
    expect(verdict.reasons).toEqual([]);
    expect((await cluster()).detail).toBe('the correlated-cluster rule is off in the medium profile');
  });

  it('with the rule on refuses it: BTC and ETH are correlated, 1.76% of equity is over a 1.5% cap', async () => {
    await edit({ cluster_cap_pct: 1.5 });
    const { verdict } = await gate();
    expect(verdict.ok).toBe(false);
    expect(verdict.reasons).toHaveLength(1);
    expect(verdict.reasons[0]).toMatch(
      /^the correlated cluster of ETH\/USDT \(with BTC\/USDT\) would carry 1\.7\d% of equity, over the cap of 1\.50% \(markets link at a 30-day return correlation of 0\.7 or more\)$/,
    );
  });

  it('measures the correlation rather than assuming it: a minimum above it keeps the markets apart', async () => {
    const { pairs } = await clusterCorrelationsAsOf(db, {
      exchange: 'binance',
      timeframe: '1h',
      symbols: ['ETH/USDT', 'BTC/USDT'],
      asOf,
      windowDays: 30,
    });
    const measured = pairs['BTC/USDT|ETH/USDT']!;
    expect(measured).toBeGreaterThan(0.7);
    expect(measured).toBeLessThan(0.99);
    await edit({ cluster_min_correlation: 0.99 });
    expect(await cluster()).toMatchObject({ ok: true });
    expect((await cluster()).detail).toContain('(no other open market) would carry 0.7');
    await edit({ cluster_min_correlation: 0.7 });

    // A backtest measures the same value from its own candles, up to the same close.
    const profile = await tradingTx(db, scope, (tx) => loadRiskProfile(tx, scope, 'medium'));
    const replay = ReplayCorrelations.forReplay(
      (['BTC', 'ETH'] as const).map((base) => ({ symbol: `${base}/USDT`, full: sampleCandles({ base }) })),
      profile,
      3_600_000,
    );
    expect(replay!.pairsAt(asOf.getTime(), ['ETH/USDT', 'BTC/USDT']).pairs).toEqual(pairs);
  });

  it('switching the rule off again accepts it', async () => {
    await edit({ cluster_cap_pct: null });
    expect((await gate()).verdict.ok).toBe(true);
  });
});
