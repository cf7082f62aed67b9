import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Background, type Finished, freePort, runCommand, startBackground } from './processes.ts';

/**
 * A headless n8n in a temporary user folder: its CLI (import, publish, execute) and its
 * server. Each process gets its own task-runner broker port (two n8n processes on one
 * port would collide), and nothing that phones home is enabled.
 */

const NodeRun = z.object({
  data: z.object({ main: z.array(z.array(z.object({ json: z.unknown() })).nullable()) }).optional(),
  error: z.unknown().optional(),
});
/** The part of `n8n execute --rawOutput`'s document (an IRun) that the test reads. */
export const Execution = z.object({
  status: z.string(),
  mode: z.string(),
  data: z.object({
    resultData: z.object({ runData: z.record(z.string(), z.array(NodeRun)), error: z.unknown().optional() }),
  }),
});
export type Execution = z.infer<typeof Execution>;

/** The items a node put on one of its outputs, or null when the node did not run. */
export function nodeItems(run: Execution, node: string, output = 0): unknown[] | null {
  const runs = run.data.resultData.runData[node];
  if (!runs) return null;
  return (runs[0]?.data?.main[output] ?? []).map((i) => i.json);
}

export class N8n {
  private readonly key = randomBytes(32).toString('hex');

  constructor(
    private readonly bin: string,
    private readonly userFolder: string,
    private readonly baseEnv: NodeJS.ProcessEnv,
  ) {}

  private async env(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
    return {
      ...this.baseEnv,
      N8N_USER_FOLDER: this.userFolder,
      N8N_ENCRYPTION_KEY: this.key,
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_COMMUNITY_PACKAGES_ENABLED: 'false',
      ...extra,
    };
  }

  /** Runs `n8n <args>`; a non-zero exit fails with what n8n printed. */
  async cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Finished> {
    const done = await runCommand(this.bin, args, { env: await this.env(extra), timeoutMs: 5 * 60_000 });
    if (done.code !== 0)
      throw new Error(`n8n ${args.join(' ')} exited with ${done.code}:\n${(done.stdout + done.stderr).slice(-3000)}`);
    return done;
  }

  /** `n8n execute --id <id> --rawOutput`: log lines come first, then the execution as one JSON document. */
  async execute(workflowId: string, extra: NodeJS.ProcessEnv = {}): Promise<{ run: Execution; ms: number }> {
    const done = await this.cli(['execute', '--id', workflowId, '--rawOutput'], extra);
    const start = done.stdout.search(/^\{$/m);
    if (start < 0)
      throw new Error(`n8n execute --id ${workflowId} printed no execution document:\n${done.stdout.slice(-2000)}`);
    return { run: Execution.parse(JSON.parse(done.stdout.slice(start))), ms: done.ms };
  }

  /** `n8n start` on `port`, serving published workflows' webhooks. */
  async start(port: number): Promise<Background> {
    return startBackground(this.bin, ['start'], await this.env({ N8N_PORT: String(port) }));
  }
}
