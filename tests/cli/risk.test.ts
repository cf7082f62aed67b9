import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  adapterCliBackend,
  expectCleanError,
  expectJsonError,
  migratedTarget,
  ok,
  onTerminal,
  runTrader,
  type Target,
} from '../helpers/cli.ts';

/**
 * `trader risk` through the real bin on both backends. Confirmations are answered on a
 * real pseudo-terminal (util-linux `script`), since a piped stdin cannot confirm.
 */

interface ShownProfile {
  profile: string;
  risk_per_trade_pct: number;
  max_drawdown_pct: number;
  max_open_positions: number;
  category_cap_pct: number;
  allow_leverage: boolean;
  max_leverage: number;
  active: boolean;
  bounds: Record<string, { min: number; max: number }>;
}
interface Shown {
  ok: true;
  mode: string;
  active: string;
  leverage_enabled: boolean;
  profiles: ShownProfile[];
}
interface AuditRow {
  actor: string;
  action_type: string;
  status: string;
  risk_profile: string | null;
  details: Record<string, unknown>;
}

async function shown(t: Target): Promise<Shown> {
  return JSON.parse((await ok(t, 'risk', 'show', '--json')).stdout) as Shown;
}

async function auditRows(t: Target): Promise<AuditRow[]> {
  const doc = JSON.parse((await ok(t, 'audit', 'search', '--json', '--limit', '1000')).stdout) as { rows: AuditRow[] };
  return doc.rows;
}

const summary = (rows: AuditRow[]) => rows.map((r) => `${r.actor} ${r.action_type} ${r.status}`);

describe.each(adapterCliBackend)('trader risk (%s)', (kind: CliBackend) => {
  let migrated: Target;
  let t: Target;
  beforeAll(async () => {
    migrated = await migratedTarget(kind);
  }, 120_000);
  afterAll(async () => migrated?.dispose());
  beforeEach(async () => {
    t = await migrated.clone();
  });
  afterEach(async () => t?.dispose());

  it('show lists the three profiles with their bounds and marks the active one', async () => {
    const doc = await shown(t);
    expect(doc).toMatchObject({ ok: true, mode: 'TEST', active: 'medium', leverage_enabled: false });
    expect(doc.profiles.map((p) => [p.profile, p.active, p.risk_per_trade_pct, p.max_drawdown_pct])).toEqual([
      ['low', false, 0.5, 10],
      ['medium', true, 1, 20],
      ['high', false, 2, 35],
    ]);
    expect(doc.profiles[2]!.bounds).toMatchObject({
      risk_per_trade_pct: { min: 1, max: 3 },
      max_leverage: { min: 1, max: 10 },
    });
    const text = (await ok(t, 'risk', 'show')).stdout;
    expect(text).toMatch(/^TEST mode: the medium profile is active; leverage is off\./);
    expect(text).toContain('* medium (active)\n    risk per trade   1%       allowed 0.5-1.5%');
    expect(text).toContain('  high\n    risk per trade   2%       allowed 1-3%; above 2.5% / 40% needs confirmation');
  }, 120_000);

  it('set: an unknown profile is bad input naming the valid ones; nothing is written', async () => {
    const r = await runTrader(['risk', 'set', 'extreme', '--json'], t.env);
    expect(expectJsonError(r, 'BAD_INPUT').error.message).toBe(
      "Unknown risk profile 'extreme'; choose low, medium or high.",
    );
    expect(r.code).toBe(2);
    expect(await auditRows(t)).toEqual([]);
  }, 120_000);

  it('set: raising without a terminal and without --yes fails cleanly, audited as a failed confirmation', async () => {
    expectCleanError(
      await runTrader(['risk', 'set', 'high'], t.env),
      2,
      /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
    );
    expect((await shown(t)).active).toBe('medium');
    const rows = await auditRows(t);
    expect(summary(rows)).toEqual(['USER RISK_PROFILE_CHANGE FAILURE']);
    expect(rows[0]!.details).toMatchObject({
      from: 'medium',
      to: 'high',
      confirmation: 'not_asked',
      warning: expect.stringMatching(
        /^Switching from medium to high lets each trade lose up to 2% of equity instead of 1%/,
      ),
    });
  }, 120_000);

  it('set: declining on a terminal exits 2, changes nothing and is audited as REJECTED', async () => {
    const r = await onTerminal(t, 'n', 'risk', 'set', 'high');
    expect(r.code, r.stdout).toBe(2);
    expect(r.stdout).toContain('losses can come faster and grow larger.');
    expect(r.stdout).toMatch(/Switch to the high profile\? \[y\/N\]/);
    expect(r.stdout.trimEnd()).toMatch(/trader: You did not confirm; the medium profile stays active\.$/);
    expect((await shown(t)).active).toBe('medium');
    expect(summary(await auditRows(t))).toEqual(['USER RISK_PROFILE_CHANGE REJECTED']);
  }, 120_000);

  it('set: confirming on a terminal, or --yes, raises; lowering asks nothing; the same profile changes nothing', async () => {
    const r = await onTerminal(t, 'y', 'risk', 'set', 'high');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('The high profile is now active (was medium).');
    expect((await ok(t, 'risk', 'set', 'low')).stdout.trim()).toBe('The low profile is now active (was high).');
    const json = JSON.parse((await ok(t, 'risk', 'set', 'medium', '--yes', '--json')).stdout) as unknown;
    expect(json).toEqual({ ok: true, from: 'low', to: 'medium', changed: true, leverage_disabled: false });
    expect((await ok(t, 'risk', 'set', 'MEDIUM')).stdout.trim()).toBe(
      'The medium profile is already active; nothing changed.',
    );
    const rows = await auditRows(t);
    expect(summary(rows)).toEqual([
      'USER RISK_PROFILE_CHANGED SUCCESS',
      'USER RISK_PROFILE_CHANGED SUCCESS',
      'USER RISK_PROFILE_CHANGED SUCCESS',
      'USER RISK_PROFILE_CHANGE INFO',
    ]);
    expect(rows.map((r) => r.details.confirmed)).toEqual([true, false, true, undefined]);
  }, 180_000);

  it('edit: out-of-bounds values are refused all at once and nothing is written', async () => {
    const before = await shown(t);
    const r = await runTrader(
      ['risk', 'edit', 'low', '--risk-per-trade', '0.8', '--max-positions', 'lots', '--allow-leverage', 'true'],
      t.env,
    );
    expectCleanError(r, 2, /^trader: The low profile was not changed: /);
    expect(r.stderr).toContain('risk_per_trade_pct must be between 0.1 and 0.5 in the low profile, not 0.8; ');
    expect(r.stderr).toContain("max_open_positions must be a number, not 'lots'; ");
    expect(r.stderr).toContain('allow_leverage can only be true in the high profile (low never uses leverage).');
    expect(await shown(t)).toEqual(before);
    const rows = await auditRows(t);
    expect(summary(rows)).toEqual(['USER RISK_PROFILE_EDIT FAILURE']);
    expect(rows[0]!.details.problems).toHaveLength(3);
  }, 120_000);

  it('edit: values within bounds are saved and audited with old and new values', async () => {
    const r = await ok(t, 'risk', 'edit', 'medium', '--risk-per-trade', '0.75', '--max-positions', '4');
    expect(r.stdout.trim()).toBe('Edited the medium profile: risk_per_trade_pct 1 -> 0.75, max_open_positions 5 -> 4.');
    expect((await shown(t)).profiles[1]).toMatchObject({ risk_per_trade_pct: 0.75, max_open_positions: 4 });
    const [row] = await auditRows(t);
    expect(row).toMatchObject({
      actor: 'USER',
      action_type: 'RISK_PROFILE_EDITED',
      status: 'SUCCESS',
      details: {
        old: { risk_per_trade_pct: 1, max_open_positions: 5 },
        new: { risk_per_trade_pct: 0.75, max_open_positions: 4 },
      },
    });
    expectCleanError(
      await runTrader(['risk', 'edit', 'medium'], t.env),
      2,
      /^trader: Nothing to edit; pass at least one of --risk-per-trade/,
    );
  }, 120_000);

  it('edit: allowing leverage or high-risk values needs confirmation; --yes applies it and prints the warnings', async () => {
    const args = ['risk', 'edit', 'high', '--risk-per-trade', '2.8', '--allow-leverage', 'true'];
    expectCleanError(
      await runTrader(args, t.env),
      2,
      /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
    );
    expect((await shown(t)).profiles[2]).toMatchObject({ risk_per_trade_pct: 2, allow_leverage: false });

    const declined = await onTerminal(t, 'no', ...args);
    expect(declined.code, declined.stdout).toBe(2);
    expect(declined.stdout).toContain('Each trade may lose up to 2.8% of equity');
    expect(declined.stdout.trimEnd()).toMatch(/trader: You did not confirm; the high profile is unchanged\.$/);
    expect((await shown(t)).profiles[2]).toMatchObject({ risk_per_trade_pct: 2, allow_leverage: false });

    const done = JSON.parse((await ok(t, ...args, '--yes', '--json')).stdout) as {
      changed: boolean;
      warnings: string[];
    };
    expect(done.changed).toBe(true);
    expect(done.warnings).toHaveLength(2);
    expect((await shown(t)).profiles[2]).toMatchObject({ risk_per_trade_pct: 2.8, allow_leverage: true });
    expect(summary(await auditRows(t))).toEqual([
      'USER RISK_PROFILE_EDIT FAILURE',
      'USER RISK_PROFILE_EDIT REJECTED',
      'USER RISK_PROFILE_EDITED SUCCESS',
    ]);
  }, 180_000);
});
