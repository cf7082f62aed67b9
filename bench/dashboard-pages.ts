import type { Db } from '../store/db.ts';
import { runBacktest } from '../backtest/run-backtest.ts';
import { startServer } from '../orchestrator/serve/server.ts';
import { createToken } from '../orchestrator/serve/tokens-repo.ts';
import { benchEnv, exchange, syntheticSymbol, timeframe } from './fixtures.ts';
import { timeRepeated } from './stats.ts';

/**
 * The dashboard's pages at real volumes: 100,000 audit rows, 10,000 runs (and an hourly
 * portfolio value for each) and 50 stored backtests, then each page asked again and again through `trader serve` with a session
 * cookie. Each figure is the client's time from request to the last byte of the page on
 * 127.0.0.1 (server time plus a loopback round trip).
 */

export const dashboardVolumes = { audit: 100_000, runs: 10_000, backtests: 50 };

export interface PageTime {
  page: string;
  ms: number[];
  bytes: number;
}

async function fillVolumes(db: Db): Promise<{ runId: string; backtestId: string }> {
  // Audit rows as the system writes them: mostly routine, one in a hundred a failure; the chain trigger hashes each.
  await db.query(
    `insert into audit_trail (mode, actor, action_type, status, risk_profile, details, entity_type, entity_id, seq, ts, prev_hash, hash)
     select (array['TEST','LIVE','SYSTEM'])[1 + i % 3], (array['SYSTEM','USER'])[1 + (i % 7 = 0)::int],
            (array['SIGNAL_GENERATED','RISK_CHECK_PASS','TRADE_PROPOSAL_GENERATED','ORDER_FILLED','MODE_CHANGE'])[1 + i % 5],
            case when i % 100 = 0 then 'FAILURE' else (array['SUCCESS','INFO','PENDING'])[1 + i % 3] end, 'medium',
            jsonb_build_object('run_id', md5(i::text), 'symbol', 'B' || (i % 200) || '/USDT', 'note', 'bench row ' || i),
            'run', md5(i::text), 0, now(), '', ''
     from generate_series(1, $1::int) as i`,
    [dashboardVolumes.audit],
  );
  const [run] = await db.query<{ run_id: string }>(
    `insert into pipeline_runs (run_id, pipeline_id, status, trigger, exchange, timeframe, symbols, as_of, started_at, heartbeat_at, finished_at, summary)
     select gen_random_uuid(), 'default', (array['succeeded','partial','failed'])[1 + (i % 10 = 0)::int + (i % 50 = 0)::int],
            (array['cli','schedule','http'])[1 + i % 3], 'binance', '1h', array['BTC/USDT','ETH/USDT'],
            now() - i * interval '1 hour', now() - i * interval '1 hour', now() - i * interval '1 hour',
            now() - i * interval '1 hour' + interval '2 seconds', '{}'::jsonb
     from generate_series(1, $1::int) as i
     returning run_id::text`,
    [dashboardVolumes.runs],
  );
  // The portfolio's value after each of those runs: the overview's chart and the positions page's record read it.
  await db.query(
    `insert into trading_test.equity_history (recorded_at, as_of, equity, peak_equity)
     select now() - i * interval '1 hour', now() - i * interval '1 hour', 10000 + 300 * sin(i / 50.0), 10300
     from generate_series(1, $1::int) as i`,
    [dashboardVolumes.runs],
  );
  // One real backtest, stored 50 times over (with its trades and curves) under new ids.
  const { report } = await runBacktest(db, {
    symbols: [syntheticSymbol(0)],
    exchange,
    timeframe,
    from: new Date('2024-02-01T00:00:00Z'),
    to: new Date('2024-06-30T00:00:00Z'),
    pipelineId: 'default',
    strategyId: null,
    initialEquity: 10_000,
    feeBps: 10,
    slippageBps: 5,
    historyBars: 300,
    env: benchEnv,
  });
  await db.query(
    `with copies as (select gen_random_uuid() as id, g from generate_series(2, $2::int) g),
     runs as (insert into backtest_runs (backtest_id, request, report, duration_ms)
              select c.id, r.request, jsonb_set(r.report, '{backtest_id}', to_jsonb(c.id::text)), r.duration_ms
              from copies c, backtest_runs r where r.backtest_id = $1),
     trades as (insert into backtest_trades
              select c.id, t.trade_no, t.symbol, t.side, t.qty, t.decided_at, t.entry_ts, t.entry_price, t.stop, t.targets, t.initial_risk,
                     t.planned_rr, t.exit_ts, t.exit_price, t.exit_reason, t.fees, t.pnl, t.r_multiple, t.bars_held, t.source_module, t.contributors
              from copies c, backtest_trades t where t.backtest_id = $1)
     insert into backtest_equity (backtest_id, symbol, ts, equity)
     select c.id, e.symbol, e.ts, e.equity from copies c, backtest_equity e where e.backtest_id = $1`,
    [report.backtest_id, dashboardVolumes.backtests],
  );
  return { runId: run!.run_id, backtestId: report.backtest_id };
}

export async function measureDashboardPages(db: Db, reps: number, warmup: number): Promise<PageTime[]> {
  const { runId, backtestId } = await fillVolumes(db);
  const { token } = await createToken(db, 'bench');
  const server = await startServer(db, { host: '127.0.0.1', port: 0, env: benchEnv });
  try {
    const login = await fetch(`${server.url}/ui/login`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const middle = new Date(Date.now() - (dashboardVolumes.runs / 2) * 3_600_000).toISOString();
    const pages = [
      '/ui',
      '/ui/positions',
      '/ui/controls',
      '/ui/proposals',
      '/ui/runs',
      `/ui/runs?before=${middle}`,
      `/ui/runs/${runId}`,
      '/ui/audit',
      '/ui/audit?actor=USER&status=FAILURE',
      '/ui/audit?text=bench+row+4242',
      '/ui/audit?since=2020-01-01&action=ORDER_FILLED&mode=LIVE',
      '/ui/backtests',
      `/ui/backtests/${backtestId}`,
    ];
    const out: PageTime[] = [];
    for (const page of pages) {
      let bytes = 0;
      const ms = await timeRepeated(reps, warmup, async () => {
        const res = await fetch(`${server.url}${page}`, { headers: { cookie } });
        const body = await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${page} answered ${res.status}`);
        bytes = body.byteLength;
      });
      out.push({ page, ms, bytes });
    }
    return out;
  } finally {
    await server.close();
  }
}
