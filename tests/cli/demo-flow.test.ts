import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPipeline } from '../../registry/default-pack.ts';
import { type CliBackend, cliBackends, demoAsOfIso, freshTarget, listRuns, ok, type Target } from '../helpers/cli.ts';
import { prepareDemo } from '../helpers/demo-template.ts';

/** The shipped pipeline, module by module: [stage, module_id]. */
const shipped = defaultPipeline.map((e) => [e.stage, e.module_id] as const);
const symbols = ['BTC/USDT', 'ETH/USDT'];

describe.each(cliBackends)('the demo flow through the real bin (%s)', (kind: CliBackend) => {
  let t: Target;
  beforeAll(async () => {
    t = await freshTarget(kind);
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('migrates, seeds, imports, runs two symbols to trade intents, and explains the run', async () => {
    await prepareDemo(t);

    const run = await ok(t, 'run', '--symbols', symbols.join(','), '--as-of', demoAsOfIso, '--json');
    // Exactly one JSON document: the whole stdout parses, and nothing but logs goes to stderr.
    const summary = JSON.parse(run.stdout);
    expect(run.stdout.trim().startsWith('{') && run.stdout.trimEnd().endsWith('}')).toBe(true);
    expect(summary).toMatchObject({
      schema_version: 1,
      ok: true,
      status: 'succeeded',
      pipeline_id: 'default',
      exchange: 'binance',
      timeframe: '1h',
      as_of: '2024-03-05T02:00:00.000Z',
      trigger: 'cli',
      errors: [],
    });
    expect(summary.run_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(summary.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(symbols);
    for (const s of summary.symbols) {
      expect(s.outcome, `${s.symbol}: ${s.reason}`).toBe('trade_intent');
      expect(s.modules_run).toBe(shipped.length);
      expect(s.intents.length).toBeGreaterThan(0);
      for (const i of s.intents) {
        expect(i.symbol).toBe(s.symbol);
        expect(i.qty).toBeGreaterThan(0);
        // A long's stop is below its entry.
        expect(i.side === 'buy' ? i.stop < i.entry : i.stop > i.entry).toBe(true);
      }
    }

    // The run's end is on the event bus, as JSON lines for a script.
    const events = (await ok(t, 'events', 'tail', '--after', '0', '--once', '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_type: string; payload: { entity_id?: string } });
    expect(events.filter((e) => e.event_type === 'RUN_FINISHED').map((e) => e.payload.entity_id)).toEqual([
      summary.run_id,
    ]);

    const listed = await listRuns(t);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ run_id: summary.run_id, status: 'succeeded', pipeline_id: 'default', symbols });
    expect(listed[0]!.finished_at).not.toBeNull();
    // The text list says who started each run, and filters by it.
    expect((await ok(t, 'runs', 'list', '--trigger', 'cli')).stdout.trim()).toMatch(
      new RegExp(`^run_id +started .*trigger +ref\n${summary.run_id} .* BTC/USDT,ETH/USDT  cli$`),
    );
    expect((await ok(t, 'runs', 'list', '--trigger-ref', 'n8n:1')).stdout.trim()).toBe('No run matches.');

    const show = await ok(t, 'runs', 'show', summary.run_id);
    const text = show.stdout.trimEnd();
    expect(text.split('\n')[0]).toBe(`run ${summary.run_id}  succeeded`);
    // One section per symbol, each starting with the symbol on its own line.
    const sections = text.split('\n\n').slice(1);
    expect(sections.map((sec) => sec.split('\n')[0])).toEqual(symbols);
    for (const sec of sections) {
      const lines = sec.split('\n');
      for (const [stage, id] of shipped) {
        const line = lines.find((l) => l.startsWith(`  - ${stage}/${id}@`));
        expect(line, `${lines[0]}: no line for ${stage}/${id}\n${sec}`).toBeDefined();
        // module@version (duration): a rationale of real words.
        expect(line).toMatch(new RegExp(`^  - ${stage}/${id}@\\d+\\.\\d+\\.\\d+ \\(\\d+\\.\\d\\d ms\\): \\S.{10,}`));
      }
      // Modules appear in stage order, then the decision, then what the system did with it (Observe: recorded only), last.
      const order = shipped.map(([stage, id]) => lines.findIndex((l) => l.startsWith(`  - ${stage}/${id}@`)));
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const decisions = lines.filter((l) => l.startsWith('  => '));
      expect(decisions).toHaveLength(2);
      expect(decisions[0]).toMatch(new RegExp(`^  => TRADE_INTENT: buy [0-9.]+ ${lines[0]!.replace('/', '\\/')} at `));
      expect(decisions[1]).toMatch(
        new RegExp(
          `^  => OBSERVED \\(TEST, observe mode records only\\): buy [0-9.]+ ${lines[0]!.replace('/', '\\/')} passed the risk gate$`,
        ),
      );
      expect(lines.slice(-2)).toEqual(decisions);
    }
  }, 180_000);
});
