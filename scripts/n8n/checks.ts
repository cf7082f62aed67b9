import { RunSummary } from '../../engine/run/run-summary.ts';
import { type Execution, nodeItems } from './n8n-cli.ts';
import { request } from './processes.ts';

/** The steps, checks and HTTP calls of `npm run test:n8n`. */

export const timings: Array<[string, number]> = [];
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  console.log(`\n▶ ${name}`);
  const started = performance.now();
  const result = await fn();
  const ms = Math.round(performance.now() - started);
  timings.push([name, ms]);
  console.log(`  ✓ ${(ms / 1000).toFixed(1)} s`);
  return result;
}

export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/** The "Run document" node's item and the execution id the workflow adds to it. */
function documentOf(run: Execution, workflow: string): { doc: Record<string, unknown>; executionId: string } {
  check(
    run.status === 'success',
    `${workflow}: the execution ended '${run.status}': ${JSON.stringify(run.data.resultData.error ?? null).slice(0, 1000)}`,
  );
  const [item] = nodeItems(run, 'Run document') ?? [];
  const { n8n_execution_id, ...doc } = item as Record<string, unknown>;
  check(
    typeof n8n_execution_id === 'string' && n8n_execution_id.length > 0,
    `${workflow}: the run document carries no n8n execution id`,
  );
  return { doc, executionId: n8n_execution_id };
}

/** A run's document as it came back through n8n: exactly trader's run document, traced to the execution. */
export function runDocument(run: Execution, workflow: string): { summary: RunSummary; executionId: string } {
  const { doc, executionId } = documentOf(run, workflow);
  const parsed = RunSummary.strict().safeParse(doc);
  check(
    parsed.success,
    `${workflow}: what came back is not a run document: ${parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
  check(
    parsed.data.trigger_ref === `n8n:${executionId}`,
    `${workflow}: the run's trigger_ref is ${parsed.data.trigger_ref}, not n8n:${executionId}`,
  );
  return { summary: parsed.data, executionId };
}

/** A refusal as it came back through n8n: `{ok: false, error}` with trader's code, sent to the notification. */
export function refusalDocument(run: Execution, workflow: string, code: string): string {
  const { doc } = documentOf(run, workflow);
  const error = doc.error as { code?: string; message?: string } | undefined;
  check(
    doc.ok === false && error?.code === code,
    `${workflow}: expected a refusal ${code}, got ${JSON.stringify(doc).slice(0, 300)}`,
  );
  check(nodeItems(run, 'Notify (chat webhook)')?.length === 1, `${workflow}: the refusal ${code} was not notified`);
  return error.message ?? '';
}

export async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  const res = await request(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  let body: unknown = res.text;
  try {
    body = JSON.parse(res.text);
  } catch {
    // n8n answers some refusals (403) in plain text
  }
  return { status: res.status, body: body as Record<string, any> };
}
