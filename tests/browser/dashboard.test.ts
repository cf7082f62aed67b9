import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TraderServer } from '../../orchestrator/serve/server.ts';
import { openDb } from '../../store/open.ts';
import type { Db } from '../../store/db.ts';
import { cliBackends, demoAsOfIso, freshTarget, ok, type Target } from '../helpers/cli.ts';
import { prepareDemo } from '../helpers/demo-template.ts';
import { launchChromium } from './chromium.ts';

/**
 * The dashboard as a user meets it, in real Chromium: a demo database in Semi-Automatic
 * mode with two proposals, `trader serve` in this process holding it (as the CLI's serve
 * does, so `trader` commands in other processes share it), and the browser driving the
 * pages. Screenshots go to TRADER_SCREENSHOTS_DIR when set (the README's come from here).
 */

const demo = new Date(demoAsOfIso);
/** The server's clock: an hour after the demo's decision, so an approval is priced on the next candle. */
const serverNow = new Date(demo.getTime() + 3_600_000);
const shots = process.env.TRADER_SCREENSHOTS_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

const statusBar = (page: Page) => page.locator('#status-bar');

/** Pixels of a colour (within 8 per channel) on the canvases inside `selector`: what a chart really drew. */
const colouredPixels = (page: Page, selector: string, rgb: [number, number, number]) =>
  page.$$eval(
    `${selector} canvas`,
    (canvases, [r, g, b]) =>
      canvases
        .map((c) => {
          const canvas = c as HTMLCanvasElement;
          const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 0; i < px.length; i += 4)
            if (Math.abs(px[i]! - r!) < 8 && Math.abs(px[i + 1]! - g!) < 8 && Math.abs(px[i + 2]! - b!) < 8) n++;
          return n;
        })
        .reduce((a, n) => a + n, 0),
    rgb,
  );

describe.each(cliBackends)('the dashboard in Chromium (%s)', (kind) => {
  let t: Target;
  let db: Db;
  let server: TraderServer;
  /** The same database, its clock 13 hours on: every session of `server` has expired there. */
  let later: TraderServer;
  let token: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];

  async function logIn(p: Page, base = server.url): Promise<void> {
    await p.goto(`${base}/ui`);
    await expect.poll(() => new URL(p.url()).pathname).toBe('/ui/login');
    await p.getByLabel('Token').fill(token);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.waitForURL(`${base}/ui`);
  }

  beforeAll(async () => {
    t = await freshTarget(kind);
    await prepareDemo(t);
    await ok(t, 'mode', 'set', 'semi_auto', '--yes');
    await ok(t, 'run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', demoAsOfIso);
    await ok(
      t,
      'backtest',
      '--symbols',
      'BTC/USDT',
      '--from',
      '2024-03-01',
      '--to',
      '2024-04-01',
      '--strategy',
      'breakout',
    );
    const study =
      '--strategy breakout --symbols BTC/USDT --from 2024-01-01 --to 2024-12-01 --trials 8 --walk-forward 2';
    await ok(t, 'optimise', ...study.split(' '), '--min-trades', '3', '--workers', '2');
    await ok(t, 'schedule', 'add', '0 * * * *', '--symbols', 'BTC/USDT', '--name', 'hourly');
    token = JSON.parse((await ok(t, 'serve', 'token', 'create', '--name', 'browser', '--json')).stdout).token;
    db = await openDb({ command: 'trader serve (browser test)', share: true, env: t.env });
    server = await startServer(db, { host: '127.0.0.1', port: 0, clock: () => serverNow, env: t.env });
    later = await startServer(db, {
      host: '127.0.0.1',
      port: 0,
      clock: () => new Date(serverNow.getTime() + 13 * 3_600_000),
      env: t.env,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await later?.close();
    await db?.close();
    await t?.dispose();
  });

  it('logs in with a token once; then an HttpOnly, SameSite=Strict cookie, a strict CSP, and no token in the page', async () => {
    const first = await page.goto(`${server.url}/ui`);
    expect(first!.headers()['content-security-policy']).toContain("script-src 'self'");
    await logIn(page);
    await expect.poll(() => statusBar(page).textContent()).toMatch(/TEST.*semi_auto.*medium/s);
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'trader_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(cookie!.value).not.toContain(token);
    expect(await page.content()).not.toContain(token);
    await screenshot(page, 'overview');
  });

  it('every control has a label, and the keyboard reaches the content first', async () => {
    const paths = ['/ui', '/ui/positions', '/ui/proposals', '/ui/controls', '/ui/runs', '/ui/backtests', '/ui/studies'];
    for (const path of [...paths, '/ui/system', '/ui/workers', '/ui/audit']) {
      await page.goto(`${server.url}${path}`);
      const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (controls) =>
        controls.filter((c) => (c as HTMLInputElement).labels?.length === 0).map((c) => c.outerHTML),
      );
      expect(unlabelled, path).toEqual([]);
    }
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
  });

  it('reaches Workers & jobs from the navigation: the queue, or on the embedded database what to do', async () => {
    await page.goto(`${server.url}/ui`);
    const link = page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Workers & jobs' });
    await link.click();
    await page.waitForURL(`${server.url}/ui/workers`);
    expect(await link.getAttribute('aria-current')).toBe('page');
    expect(await page.locator('main').textContent()).toMatch(
      kind === 'pglite' ? /need Postgres: move this installation with `trader db move/ : /No workers: start one with/,
    );
  });

  it('a halt from the CLI, in another process, reaches the status bar without a reload', async () => {
    await page.goto(`${server.url}/ui`);
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await ok(t, 'halt', '--reason', 'browser check', '--yes');
    await expect
      .poll(() => statusBar(page).textContent(), { timeout: 15_000 })
      .toMatch(/HALTED: MANUAL: browser check/);
    await screenshot(page, 'halted');
    await ok(t, 'resume', '--yes');
    await expect.poll(() => statusBar(page).textContent(), { timeout: 15_000 }).toContain('running');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('survives the server restarting: the page reconnects by itself and the next event arrives', async () => {
    await page.goto(`${server.url}/ui`);
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    const port = server.port;
    await server.close();
    await expect.poll(() => page.locator('#live').textContent()).not.toBe('live');
    server = await startServer(db, { host: '127.0.0.1', port, clock: () => serverNow, env: t.env });
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 15_000 }).toBe('live');
    await ok(t, 'halt', '--reason', 'after the restart', '--yes');
    await expect
      .poll(() => statusBar(page).textContent(), { timeout: 15_000 })
      .toMatch(/HALTED: MANUAL: after the restart/);
    await ok(t, 'resume', '--yes');
    await expect.poll(() => statusBar(page).textContent(), { timeout: 15_000 }).toMatch(/Trading\s+running/);
  });

  it('approves a proposal after its review page and sees the fill', async () => {
    await page.goto(`${server.url}/ui/proposals`);
    const btc = page.locator('tr', { hasText: 'BTC/USDT' }).getByRole('link');
    await btc.click();
    await expect.poll(() => page.locator('.summary').textContent()).toMatch(/PENDING\s+buy .* BTC\/USDT/);
    await screenshot(page, 'proposal');
    await page.getByRole('button', { name: /^Approve and execute/ }).click();
    await expect.poll(() => page.locator('main .notice').textContent()).toMatch(/is approved; position #\d+ is open/);
    await page.goto(`${server.url}/ui`);
    await expect.poll(() => page.locator('table').first().textContent()).toMatch(/BTC\/USDT\s*long/);
  });

  it('shows the position marked to market, the registry with gates and ratings, data health, schedules, and a study', async () => {
    await page.goto(`${server.url}/ui/positions`);
    const open = await page.locator('section', { hasText: 'Open positions' }).locator('tbody tr').allTextContents();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatch(/BTC\/USDT\s*long/);
    expect(open[0]).toMatch(/[+-]\d/);
    const trades = page.locator('section[aria-labelledby="h-trades"]');
    expect(await trades.locator('tbody tr').first().textContent()).toMatch(/entry/);
    await page.getByLabel('Kind').selectOption('stop_loss');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/kind=stop_loss/);
    expect(await trades.textContent()).toContain('No trades match.');

    await page.goto(`${server.url}/ui/system`);
    const modules = await page.locator('section', { hasText: 'Module registry' }).locator('tbody').textContent();
    expect(modules).toMatch(/breakout_v1\s*1\.0\.0\s*agent\s*active\s*passed/);
    const data = await page.locator('section', { hasText: 'Data health' }).locator('tbody').textContent();
    expect(data).toMatch(/binance\s*BTC\/USDT\s*1h/);
    expect(await page.locator('section', { hasText: 'Schedules' }).locator('tbody').textContent()).toMatch(/hourly/);
    expect(await statusBar(page).textContent()).not.toContain('no schedule');

    await page.goto(`${server.url}/ui/studies`);
    await page.locator('tbody a').first().click();
    await page.waitForFunction(() => document.body.dataset.charts === 'drawn');
    expect(await page.locator('table', { hasText: 'Fit on' }).locator('tbody tr').count()).toBe(2);
    const dots = await colouredPixels(page, '#scatter-0', [11, 92, 138]);
    expect(dots).toBeGreaterThan(20);
    await screenshot(page, 'study');
  });

  it('changes the risk profile and halts as the CLI does: its warning first, Decline audited, Confirm applied', async () => {
    await page.goto(`${server.url}/ui/controls`);
    await page.getByLabel('Profile', { exact: true }).selectOption('high');
    await page.getByRole('button', { name: 'Set profile' }).click();
    await expect.poll(() => page.locator('.warning').textContent()).toMatch(/Switch to the high profile\?$/);
    await page.getByRole('button', { name: 'Decline' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('You did not confirm; the medium profile stays active.');
    await page.goto(`${server.url}/ui/controls`);
    await page.getByLabel('Profile', { exact: true }).selectOption('high');
    await page.getByRole('button', { name: 'Set profile' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/\/ui\/controls\?done=profile$/);
    expect(await statusBar(page).textContent()).toMatch(/Risk profile\s+high/);
    // Lowering never asks, as in the CLI.
    await page.getByLabel('Profile', { exact: true }).selectOption('medium');
    await page.getByRole('button', { name: 'Set profile' }).click();
    await page.waitForURL(/\/ui\/controls\?done=profile$/);
    expect(await statusBar(page).textContent()).toMatch(/Risk profile\s+medium/);

    await page.getByLabel('Reason', { exact: true }).fill('from the dashboard');
    await page.getByRole('button', { name: 'HALT ALL TRADING' }).click();
    await expect.poll(() => page.locator('.warning').textContent()).toMatch(/^Halt trading in TEST\?/);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/done=halt$/);
    expect(await statusBar(page).textContent()).toContain('HALTED: MANUAL: from the dashboard');
    await page.getByRole('button', { name: 'Resume trading' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/done=resume$/);
    expect(await statusBar(page).textContent()).toMatch(/Trading\s+running/);

    const audit = JSON.parse((await ok(t, 'audit', 'search', '--actor', 'USER', '--json', '--limit', '50')).stdout);
    const outcomes = audit.rows.map((r: { action_type: string; status: string }) => `${r.action_type} ${r.status}`);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        'RISK_PROFILE_CHANGE REJECTED',
        'RISK_PROFILE_CHANGED SUCCESS',
        'TRADING_HALTED SUCCESS',
        'TRADING_RESUMED SUCCESS',
      ]),
    );
  });

  it('filters the audit trail as `audit search` does, and verifies the chain', async () => {
    await page.goto(`${server.url}/ui/audit`);
    await page.getByLabel('Actor').selectOption('USER');
    await page.getByLabel('Action type').fill('TRADE_PROPOSAL_REVIEW');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/actor=USER/);
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('TRADE_PROPOSAL_REVIEW');
    expect(rows[0]).toContain('"confirmation":"dashboard_form"');
    expect(rows[0]).toContain('"client":"browser"');
    await screenshot(page, 'audit');
    await page.getByRole('link', { name: 'Verify chain' }).click();
    await expect.poll(() => page.locator('main .notice').textContent()).toMatch(/Intact: \d+ rows checked/);
  });

  it('draws a backtest: the equity curve and the candles are pixels on their canvases, within the CSP', async () => {
    await page.goto(`${server.url}/ui/backtests`);
    await page.locator('tbody a').first().click();
    await page.waitForFunction(() => document.body.dataset.charts === 'drawn');
    await screenshot(page, 'backtest');
    expect(await colouredPixels(page, '#equity-chart', [11, 92, 138])).toBeGreaterThan(500);
    expect(await colouredPixels(page, '#candle-chart', [29, 107, 54])).toBeGreaterThan(500);
    expect(await colouredPixels(page, '#candle-chart', [179, 0, 27])).toBeGreaterThan(500);
    expect(cspViolations).toEqual([]);
  });

  it('refuses a form without its CSRF token, or from another origin, and changes nothing', async () => {
    await page.goto(`${server.url}/ui/proposals`);
    await page.locator('tr', { hasText: 'ETH/USDT' }).getByRole('link').click();
    const review = page.url();
    await page.locator('form.reject input[name=csrf]').evaluate((i) => ((i as HTMLInputElement).value = 'forged'));
    await page.getByRole('button', { name: /^Reject/ }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/security token \(CSRF\)/);
    const foreign = await context.request.post(review, {
      form: { verb: 'reject', csrf: 'x' },
      headers: { origin: 'http://evil.example' },
      maxRedirects: 0,
    });
    expect(foreign.status()).toBe(403);
    expect(await foreign.text()).toContain('A form from http://evil.example may not act on this dashboard');
    await page.goto(review);
    expect(await page.locator('.summary').textContent()).toMatch(/PENDING/);
  });

  it('logs out: the session ends for good, its cookie replayed leads to the login', async () => {
    await page.goto(`${server.url}/ui`);
    const [before] = (await context.cookies()).filter((c) => c.name === 'trader_session');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/ui\/login$/);
    await context.addCookies([before!]);
    await page.goto(`${server.url}/ui/runs`);
    await page.waitForURL(/\/ui\/login\?next=%2Fui%2Fruns&expired=1$/);
    expect(await page.getByRole('alert').textContent()).toContain('Your session ended or expired');
  });

  it('an expired session leads to the login, and a revoked token ends its sessions', async () => {
    await logIn(page);
    await page.goto(`${later.url}/ui`);
    await page.waitForURL(/\/ui\/login\?next=%2Fui&expired=1$/);
    await logIn(page);
    await ok(t, 'serve', 'token', 'revoke', 'browser');
    await page.goto(`${server.url}/ui/audit`);
    await page.waitForURL(/\/ui\/login\?next=%2Fui%2Faudit&expired=1$/);
  });

  it('fits a phone: nothing wider than the screen but the tables, which scroll', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const fresh = await freshLogin(phone);
    expect(fresh).toBe(true);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone, 'phone');
    await phone.close();
  });

  async function freshLogin(p: Page): Promise<boolean> {
    token = JSON.parse((await ok(t, 'serve', 'token', 'create', '--name', 'phone', '--json')).stdout).token;
    await logIn(p);
    return (await statusBar(p).count()) === 1;
  }
});
