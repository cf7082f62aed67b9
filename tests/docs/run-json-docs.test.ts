import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { renderRunJsonDocs, runJsonDocsRelPath } from '../../orchestrator/run-json-docs.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { RunSummary } from '../../engine/run/run-summary.ts';
import { setOperationalMode } from '../../trading/governance/operational-mode.ts';
import { tradingScope } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoDb, runOptions } from '../helpers/pipeline.ts';

describe('docs/run-json.md', () => {
  it('is current: the checked-in file equals what the RunSummary schema renders (run `trader schema docs` to fix)', () => {
    const file = path.join(packageRoot, runJsonDocsRelPath);
    expect(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing)').toBe(renderRunJsonDocs());
    expect(renderRunJsonDocs()).toContain(
      '| `symbols[].actions[].proposal_id` | integer | no |  | set when proposed; when rejected, the pending proposal for the same market and side that refused it |',
    );
  });
});

describe.each(backends)('the run document on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.close());

  it('a real run, with a proposal created, satisfies its documented schema exactly', async () => {
    db = await demoDb(kind);
    await setOperationalMode(db, tradingScope('TEST'), 'semi_auto', { confirm: async () => true });
    const summary = await runPipeline(db, runOptions({ symbols: ['BTC/USDT', 'ETH/USDT'], env: process.env }));
    // strict: a field the schema does not document fails, as a missing or retyped one does.
    expect(RunSummary.strict().parse(summary)).toEqual(summary);
    expect(summary.symbols.map((s) => s.actions?.map((a) => a.action))).toEqual([['proposed'], ['proposed']]);
    // The top-level list names the same proposals, in symbol order, as stored.
    const proposed = summary.symbols.flatMap((s) => s.actions ?? []);
    expect(summary.proposals).toEqual(
      proposed.map((a) => ({ proposal_id: a.proposal_id, symbol: a.symbol, side: a.side, qty: a.qty })),
    );
    const stored = await db.query<{ proposal_id: number }>(
      `select proposal_id from trading_test.proposals where run_id = $1 order by proposal_id`,
      [summary.run_id],
    );
    expect(summary.proposals.map((p) => p.proposal_id).sort((a, b) => a - b)).toEqual(
      stored.map((r) => Number(r.proposal_id)),
    );
    expect(summary.trigger_ref).toBeNull();
  });
});
