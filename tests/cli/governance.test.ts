import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../store/open.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import {
  type CliBackend,
  adapterCliBackend,
  expectCleanError,
  expectWarnedError,
  expectJsonError,
  migratedTarget,
  ok,
  runTrader,
  type Target,
  withInput,
} from '../helpers/cli.ts';

/**
 * `trader status`, `mode`, `halt`, `resume`, `halt clear`, `halt action` and `leverage`
 * through the real bin, answers piped on stdin. The tests in a backend share one database
 * and run in order, each starting from where the previous one left off.
 */

const PIN = 'pin123456';
const scope = tradingScope('TEST');

/** Runs SQL as the TEST trading role between CLI runs (the only way into a PGlite home from here). */
async function sqlAsTest(t: Target, statement: string): Promise<void> {
  const db = await openDb({ env: t.env, command: 'governance test' });
  try {
    await tradingTx(db, scope, (tx) => tx.exec(statement));
  } finally {
    await db.close();
  }
}

/** An error after a printed warning: the warning's lines on stderr, then the one `trader: ...` line. */

interface StatusDoc {
  ok: true;
  system_mode: string;
  operational_mode: string;
  risk_profile: { profile: string; max_drawdown_pct: number };
  leverage: { enabled: boolean; max_leverage: number };
  halt: { halted: boolean; emergency: boolean; reason: string | null; action: string };
  equity: { equity: number; peak_equity: number; drawdown_pct: number; drawdown_limit_pct: number };
  wallet_balance: number | null;
  open_positions: number;
  pending_proposals: number;
}

async function status(t: Target, env: NodeJS.ProcessEnv = t.env): Promise<StatusDoc> {
  const r = await runTrader(['status', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusDoc;
}

describe.each(adapterCliBackend)('governance commands through the real bin (%s)', (kind: CliBackend) => {
  let t: Target;
  beforeAll(async () => {
    t = await migratedTarget(kind);
  }, 180_000);
  afterAll(async () => t?.dispose());

  it('status --json is one document with every field; the text shows each line', async () => {
    // The test login is a superuser either way: PGlite has no other, and on Postgres status says the barrier is open.
    const barrier =
      kind === 'pglite'
        ? {
            crossing: /offers no barrier against deliberate role switching into trader_live$/,
            line: /^TEST\/LIVE barrier +none: the embedded database runs every command as its one superuser/m,
          }
        : {
            crossing: /^postgres is a superuser, so it can switch to trader_live \(set role\)$/,
            line: /^!!! TEST\/LIVE BARRIER OPEN: postgres is a superuser, so it can switch to trader_live/m,
          };
    expect(await status(t)).toEqual({
      ok: true,
      system_mode: 'TEST',
      operational_mode: 'observe',
      risk_profile: {
        profile: 'medium',
        risk_per_trade_pct: 1,
        max_drawdown_pct: 20,
        max_open_positions: 5,
        category_cap_pct: 3,
        allow_leverage: false,
        max_leverage: 1,
        cluster_cap_pct: null,
        cluster_min_correlation: 0.7,
        cluster_window_days: 30,
      },
      leverage: { enabled: false, enabled_at: null, max_leverage: 3 },
      halt: {
        halted: false,
        emergency: false,
        reason: null,
        halted_at: null,
        action: 'HALT_ONLY',
        close_all_acknowledged_at: null,
        action_pending: null,
        action_problem: null,
      },
      equity: {
        quote_currency: 'USDT',
        equity: 10000,
        peak_equity: 10000,
        drawdown_pct: 0,
        drawdown_limit_pct: 20,
        as_of: null,
      },
      wallet_balance: 10000,
      open_positions: 0,
      pending_proposals: 0,
      disabled_strategies: [],
      strategy_proposals: 0,
      barrier: {
        holds: false,
        login: 'postgres',
        crossings: [expect.stringMatching(barrier.crossing)],
      },
      // A TEST process has no LIVE account to show (and could not read one).
      live: null,
      // Nothing backed up or exported yet, and nothing failed.
      backups: {
        backup: { last_success: null, failing: null },
        offsite: { last_success: null, failing: null },
        export: { last_success: null, failing: null },
      },
      // On Postgres, the workers and the job queue (tests/queue/jobs-cli.test.ts); the embedded database has none.
      ...(kind === 'postgres'
        ? {
            workers: {
              alive: 0,
              stale: 0,
              hosts: [],
              jobs: { queued: 0, waiting_over_60s: 0, active: 0, failed_24h: 0 },
            },
          }
        : {}),
    });
    const text = (await ok(t, 'status')).stdout;
    for (const line of [
      /^system mode +TEST/m,
      /^operational mode +observe/m,
      /^risk profile +medium: 1% per trade, halt at 20% drawdown/m,
      /^trading +running/m,
      /^drawdown +0\.00% of the 20% limit/m,
      /^wallet +10000\.00 USDT/m,
      /^strategy proposals 0$/m,
      /^last backup +none yet \(`trader backup`; nightly: `trader schedule add "0 3 \* \* \*" --job backup`\)$/m,
      barrier.line,
    ]) {
      expect(text).toMatch(line);
    }
    expect(text).not.toMatch(/HALTED|LEVERAGE ACTIVE/);
  });

  it('mode set: bad input changes nothing; raising needs --yes without a terminal; LIVE refuses', async () => {
    expectCleanError(
      await runTrader(['mode', 'set', 'turbo'], t.env),
      2,
      /^trader: Unknown mode 'turbo'; use observe, semi_auto or full_auto\.$/,
    );
    expectCleanError(
      await runTrader(['mode', 'set', 'semi-auto'], t.env),
      2,
      /needs confirmation; run it in a terminal or add --yes/,
    );
    expect((await status(t)).operational_mode).toBe('observe');
    expect((await ok(t, 'mode', 'set', 'full-auto', '--yes')).stdout).toMatch(/observe -> full_auto/);
    expect((await ok(t, 'mode', 'set', 'semi_auto')).stdout).toMatch(/full_auto -> semi_auto/);
    const live = { ...t.env, TRADER_SYSTEM_MODE: 'LIVE' };
    const refused = await runTrader(['mode', 'set', 'full_auto', '--yes', '--json'], live);
    expect(refused.code).toBe(2);
    expect(expectJsonError(refused, 'CONFIG_INVALID').error.message).toBe(
      'LIVE may only observe until a LIVE account exists; run `trader live init` before switching to full_auto.',
    );
    expect((await status(t, live)).operational_mode).toBe('observe');
    expect((await status(t)).operational_mode).toBe('semi_auto');
  });

  it('halt and resume, with a loud HALTED line in status', async () => {
    await ok(t, 'halt', '--reason', 'exchange maintenance', '--yes');
    expect((await ok(t, 'status')).stdout).toMatch(/^!!! HALTED: MANUAL: exchange maintenance !!!$/m);
    expect((await status(t)).halt).toMatchObject({
      halted: true,
      emergency: false,
      reason: 'MANUAL: exchange maintenance',
    });
    expectCleanError(await runTrader(['resume'], t.env), 2, /needs confirmation/);
    await ok(t, 'resume', '--yes');
    expect((await status(t)).halt.halted).toBe(false);
  });

  it('halt action: close-all needs the phrase (typed or --acknowledge); a wrong one changes nothing', async () => {
    const wrong = await withInput(t, 'yes\n', 'halt', 'action', 'MARKET_CLOSE_ALL_AND_HALT');
    expectWarnedError(
      wrong,
      2,
      /MARKET order[\s\S]*severe slippage/,
      /^trader: The acknowledgement did not match; type CLOSE ALL AT MARKET exactly\. The halt action stays HALT_ONLY\.$/,
    );
    expect((await status(t)).halt.action).toBe('HALT_ONLY');
    expectCleanError(
      await runTrader(['halt', 'action', 'SELL_EVERYTHING'], t.env),
      2,
      /Unknown halt action 'SELL_EVERYTHING'; use HALT_ONLY, CANCEL_ORDERS_AND_HALT or MARKET_CLOSE_ALL_AND_HALT\./,
    );
    await withInput(t, 'CLOSE ALL AT MARKET\n', 'halt', 'action', 'MARKET_CLOSE_ALL_AND_HALT').then((r) =>
      expect(r.code, r.stderr).toBe(0),
    );
    await ok(t, 'halt', 'action', 'cancel_orders_and_halt');
    await ok(t, 'halt', 'action', 'MARKET_CLOSE_ALL_AND_HALT', '--acknowledge', 'CLOSE ALL AT MARKET');
    expect((await status(t)).halt.action).toBe('MARKET_CLOSE_ALL_AND_HALT');
  });

  it('halt panic: the warning and a typed phrase (or --acknowledge); a wrong one halts nothing; status is loud', async () => {
    expectWarnedError(
      await withInput(t, 'yes\n', 'halt', 'panic'),
      2,
      /PANIC in TEST[\s\S]*All 0 open position\(s\) will be SOLD AT MARKET on paper/,
      /^trader: The confirmation did not match; type CLOSE ALL AT MARKET exactly\. Nothing was halted\.$/,
    );
    expect((await status(t)).halt.halted).toBe(false);
    const r = await runTrader(
      ['halt', 'panic', '--reason', 'flash crash', '--acknowledge', 'CLOSE ALL AT MARKET', '--json'],
      t.env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      mode: 'TEST',
      halted: true,
      emergency: true,
      halt_reason: 'PANIC: flash crash',
      action: 'MARKET_CLOSE_ALL_AND_HALT',
      closed: 0,
      exchange: null,
    });
    expect((await ok(t, 'status')).stdout).toMatch(
      /^!!! HALTED: EMERGENCY HALT - PANIC: flash crash - MANUAL REVIEW REQUIRED !!!$/m,
    );
    expectCleanError(await runTrader(['resume', '--yes'], t.env), 3, /needs `trader halt clear`/);
    await sqlAsTest(t, `update trading_test.state set halted = false, emergency = false, halt_reason = null`);
  });

  it('leverage enable: phrase then PIN on stdin; wrong ones exit 2 and change nothing; status shows it loudly', async () => {
    await withInput(t, `${PIN}\n${PIN}\n`, 'secrets', 'init').then((r) => expect(r.code, r.stderr).toBe(0));
    expectCleanError(
      await withInput(t, `CONFIRM LEVERAGE\n${PIN}\n`, 'leverage', 'enable'),
      2,
      /only available in the high risk profile/,
    );
    await ok(t, 'risk', 'set', 'high', '--yes');
    await ok(t, 'risk', 'edit', 'high', '--allow-leverage', 'true', '--yes');
    const warning = /EXTREME RISK WARNING[\s\S]*LIQUIDATES[\s\S]*liquidation cascades/;
    expectWarnedError(
      await withInput(t, `confirm leverage\n${PIN}\n`, 'leverage', 'enable'),
      2,
      warning,
      /^trader: The phrase did not match; type CONFIRM LEVERAGE exactly/,
    );
    expectWarnedError(
      await withInput(t, 'CONFIRM LEVERAGE\nwrong-pin\n', 'leverage', 'enable'),
      2,
      warning,
      /^trader: Wrong PIN\.$/,
    );
    expect((await status(t)).leverage.enabled).toBe(false);
    const r = await withInput(t, `CONFIRM LEVERAGE\n${PIN}\n`, 'leverage', 'enable');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/EXTREME RISK WARNING/);
    expect(r.stdout + r.stderr).not.toContain(PIN);
    expect((await ok(t, 'status')).stdout).toMatch(/^!!! LEVERAGE ACTIVE \(max 3x\) !!!$/m);
    await ok(t, 'leverage', 'disable');
    expect((await status(t)).leverage.enabled).toBe(false);
  });

  it('an emergency halt: status says so, resume refuses, halt clear needs the right PIN, then the mode is observe', async () => {
    await sqlAsTest(
      t,
      `update trading_test.state set halted = true, emergency = true, halt_reason = 'EMERGENCY_DRAWDOWN', halted_at = now(),
      equity = 6000, peak_equity = 10000, drawdown_pct = 40`,
    );
    expect((await ok(t, 'status')).stdout).toMatch(
      /^!!! HALTED: EMERGENCY HALT - DRAWDOWN LIMIT REACHED - MANUAL REVIEW REQUIRED !!!$/m,
    );
    expectCleanError(
      await runTrader(['resume', '--yes'], t.env),
      3,
      /^trader: An emergency halt needs `trader halt clear` with the master PIN\.$/,
    );
    expectCleanError(await withInput(t, 'wrong-pin\n', 'halt', 'clear'), 2, /^trader: Wrong PIN\.$/);
    expect((await status(t)).halt).toMatchObject({ halted: true, emergency: true });
    const cleared = await withInput(t, `${PIN}\n`, 'halt', 'clear', '--json');
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toEqual({
      ok: true,
      mode: 'TEST',
      changed: true,
      halted: false,
      emergency: false,
      halt_reason: 'MANUAL_RESET',
      operational_mode: 'observe',
    });
    const s = await status(t);
    expect(s).toMatchObject({
      operational_mode: 'observe',
      halt: { halted: false, emergency: false, reason: 'MANUAL_RESET' },
      equity: { peak_equity: 6000, drawdown_pct: 0 },
    });
  });

  it('every command has --help with an example', async () => {
    for (const args of [
      ['status'],
      ['mode', 'set'],
      ['halt'],
      ['halt', 'clear'],
      ['halt', 'action'],
      ['resume'],
      ['leverage', 'enable'],
      ['leverage', 'disable'],
    ]) {
      const r = await runTrader([...args, '--help'], t.env);
      expect(r.code).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/Example:\n +\$ trader /);
    }
  });
});
