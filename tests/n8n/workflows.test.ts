import fs from 'node:fs';
import path from 'node:path';
import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { packageRoot } from '../../core/paths.ts';
import { registerRunCommand } from '../../orchestrator/cli/commands/run.ts';
import { registerServeCommands } from '../../orchestrator/cli/commands/serve.ts';
import { RunRequest } from '../../orchestrator/serve/routes-runs.ts';

/**
 * The shipped n8n workflows as data: what `npm run test:n8n` proves in a real n8n, checked
 * here in milliseconds so a broken edit (a dangling connection, a node n8n 2.8 lacks, a
 * body field or CLI flag trader does not know, a secret) fails `npm test`.
 */

const dir = path.join(packageRoot, 'n8n_workflows');

/** Node types and the typeVersions n8n 2.8.4 ships (read off its n8n-nodes-base). */
const n8n28: Record<string, number[]> = {
  'n8n-nodes-base.scheduleTrigger': [1, 1.1, 1.2, 1.3],
  'n8n-nodes-base.manualTrigger': [1],
  'n8n-nodes-base.httpRequest': [1, 2, 3, 4, 4.1, 4.2, 4.3, 4.4],
  'n8n-nodes-base.if': [1, 2, 2.1, 2.2, 2.3],
  'n8n-nodes-base.set': [1, 2, 3, 3.1, 3.2, 3.3, 3.4],
  'n8n-nodes-base.noOp': [1],
  'n8n-nodes-base.executeCommand': [1],
  'n8n-nodes-base.webhook': [1, 1.1, 2, 2.1],
  'n8n-nodes-base.respondToWebhook': [1, 1.1, 1.2, 1.3, 1.4, 1.5],
};
const triggers = new Set(['n8n-nodes-base.scheduleTrigger', 'n8n-nodes-base.manualTrigger', 'n8n-nodes-base.webhook']);
const credentialNames: Record<string, string> = {
  traderServeToken: 'trader serve token',
  traderApprovalKey: 'trader approval webhook key',
};

const Node = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  type: z.string(),
  typeVersion: z.number(),
  position: z.tuple([z.number(), z.number()]),
  parameters: z.record(z.string(), z.any()),
  credentials: z.record(z.string(), z.object({ id: z.string(), name: z.string() })).optional(),
});
const Link = z.object({ node: z.string(), type: z.literal('main'), index: z.number().int() });
const Workflow = z.object({
  id: z.string().regex(/^[A-Za-z0-9]{16}$/, 'a 16-character id, as n8n generates'),
  name: z.string().min(1),
  nodes: z.array(Node).min(2),
  connections: z.record(z.string(), z.object({ main: z.array(z.array(Link)) })),
  active: z.literal(false),
});
type Workflow = z.infer<typeof Workflow>;

const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const workflows = new Map(
  files.map((f) => [f, Workflow.parse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))]),
);
const byName = (w: Workflow, name: string) => w.nodes.find((n) => n.name === name)!;

/** Every node the triggers reach, following connections. */
function reachable(w: Workflow): Set<string> {
  const seen = new Set(w.nodes.filter((n) => triggers.has(n.type)).map((n) => n.name));
  const queue = [...seen];
  while (queue.length > 0) {
    for (const out of w.connections[queue.shift()!]?.main ?? []) {
      for (const link of out) {
        if (seen.has(link.node)) continue;
        seen.add(link.node);
        queue.push(link.node);
      }
    }
  }
  return seen;
}

function settings(w: Workflow): Record<string, unknown> {
  const fields = byName(w, 'Settings').parameters.assignments.assignments as Array<{ name: string; value: unknown }>;
  return Object.fromEntries(fields.map((f) => [f.name, f.value]));
}

function optionsOf(register: (program: Command) => void, name: string): readonly Option[] {
  const program = new Command();
  register(program);
  return program.commands.find((c) => c.name() === name)!.options;
}

describe('n8n_workflows/', () => {
  it('holds the three documented workflows, each with its own stable id and name', () => {
    expect(files).toEqual(['trader-proposal-review.json', 'trader-run-cli.json', 'trader-run-http.json']);
    const ids = [...workflows.values()].map((w) => w.id);
    expect(ids).toEqual(['traderApproval01', 'traderCliRun0001', 'traderHttpRun001']);
    expect(new Set([...workflows.values()].map((w) => w.name)).size).toBe(3);
    const readme = fs.readFileSync(path.join(packageRoot, 'README.md'), 'utf8');
    for (const [file, w] of workflows) expect(readme).toContain(`| \`${file}\` | \`${w.id}\` |`);
  });

  it.each(files)(
    '%s: known node types and versions, unique names, every connection resolves, nothing unreachable',
    (file) => {
      const w = workflows.get(file)!;
      const names = w.nodes.map((n) => n.name);
      expect(new Set(names).size).toBe(names.length);
      expect(new Set(w.nodes.map((n) => n.id)).size).toBe(names.length);
      for (const n of w.nodes) expect(n8n28[n.type], `${n.name}: ${n.type} ${n.typeVersion}`).toContain(n.typeVersion);
      for (const [from, { main }] of Object.entries(w.connections)) {
        expect(names).toContain(from);
        for (const link of main.flat()) expect(names).toContain(link.node);
      }
      expect([...reachable(w)].sort()).toEqual([...names].sort());
    },
  );

  it.each(files)('%s: credentials only by reference, under their documented names; no secret in the file', (file) => {
    const w = workflows.get(file)!;
    for (const n of w.nodes) {
      for (const ref of Object.values(n.credentials ?? {}))
        expect(credentialNames[ref.id], `${n.name} uses ${ref.id}`).toBe(ref.name);
    }
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    expect(text).not.toMatch(/trd_[A-Za-z0-9_-]{8,}|Bearer\s+\w|X-Approval-Key":\s*"/i);
  });

  it('the run workflows start on a schedule or by hand, and report proposals and errors', () => {
    for (const file of ['trader-run-http.json', 'trader-run-cli.json']) {
      const w = workflows.get(file)!;
      const starts = w.nodes.filter((n) => triggers.has(n.type));
      expect(starts.map((n) => n.type).sort()).toEqual([
        'n8n-nodes-base.manualTrigger',
        'n8n-nodes-base.scheduleTrigger',
      ]);
      for (const t of starts) expect(w.connections[t.name]!.main[0]!.map((l) => l.node)).toEqual(['Settings']);
      expect(settings(w)).toMatchObject({
        symbols: 'BTC/USDT,ETH/USDT',
        strategy: '',
        as_of: '',
        offline: false,
        notify_url: '',
      });
      const [yes, no] = w.connections['Proposals or errors?']!.main;
      expect([yes!.map((l) => l.node), no!.map((l) => l.node)]).toEqual([
        ['Notify (chat webhook)'],
        ['Nothing to report'],
      ]);
    }
  });

  it("the HTTP workflows call trader serve's default address with fields POST /runs accepts", () => {
    const port = optionsOf(registerServeCommands, 'serve').find((o) => o.long === '--port')!.defaultValue;
    expect(port).toBe('8787');
    const http = workflows.get('trader-run-http.json')!;
    expect(settings(http).trader_url).toBe(`http://127.0.0.1:${port}`);
    expect(settings(workflows.get('trader-proposal-review.json')!).trader_url).toBe(`http://127.0.0.1:${port}`);
    const run = byName(http, 'Run pipeline (trader serve)').parameters;
    expect(run).toMatchObject({
      method: 'POST',
      url: '={{ $json.trader_url }}/runs',
      genericAuthType: 'httpHeaderAuth',
    });
    const body = String(run.jsonBody);
    const fields = [...body.matchAll(/[{,]\s*([a-z_]+):/g)].map((m) => m[1]!);
    expect(fields.sort()).toEqual(['as_of', 'offline', 'strategy', 'symbols', 'trigger_ref']);
    for (const f of fields) expect(Object.keys(RunRequest.shape)).toContain(f);
    expect(body).toContain("trigger_ref: 'n8n:' + $execution.id");
  });

  it('the Execute Command workflow uses only flags `trader run` has, and passes the execution id', () => {
    const command = String(byName(workflows.get('trader-run-cli.json')!, 'trader run --json').parameters.command);
    const flags = [...new Set([...command.matchAll(/ (--[a-z-]+)/g)].map((m) => m[1]!))];
    expect(flags.sort()).toEqual([
      '--as-of',
      '--json',
      '--offline',
      '--strategy',
      '--symbols',
      '--trigger',
      '--trigger-ref',
    ]);
    const known = optionsOf(registerRunCommand, 'run').map((o) => o.long);
    for (const f of flags) expect(known).toContain(f);
    expect(command).toContain('--trigger n8n --trigger-ref \'n8n:" + $execution.id');
  });

  it('the approval webhook is authenticated and validates proposal id and decision before calling trader', () => {
    const w = workflows.get('trader-proposal-review.json')!;
    const hook = w.nodes.find((n) => n.type === 'n8n-nodes-base.webhook')!;
    expect(hook.parameters).toMatchObject({
      httpMethod: 'POST',
      path: 'trader-proposal-review',
      authentication: 'headerAuth',
      responseMode: 'responseNode',
    });
    const rules = byName(w, 'Valid request?').parameters.conditions.conditions as Array<{ rightValue: string }>;
    const [id, decision] = rules.map((r) => new RegExp(r.rightValue));
    expect(['12', '1', '0', '-3', '1.5', '../runs', ''].map((v) => id!.test(v))).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['approve', 'reject', 'Approve', 'approved', 'delete', ''].map((v) => decision!.test(v))).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(w.connections['Valid request?']!.main.map((out) => out.map((l) => l.node))).toEqual([
      ['Approve or reject (trader serve)'],
      ['Answer 400'],
    ]);
  });
});
