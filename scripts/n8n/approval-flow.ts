import { freePort, waitForHttp } from './processes.ts';
import { call, check, step } from './checks.ts';
import type { N8n } from './n8n-cli.ts';

/**
 * (c): the approval webhook in a running n8n, in front of trader serve's review endpoints.
 * The HTTP run workflow is published beside it, to see its Schedule Trigger activate.
 */
export async function reviewWebhook(
  n8n: N8n,
  published: string[],
  key: string,
  traderUrl: string,
  auth: Record<string, string>,
  [first, second]: [number, number],
): Promise<void> {
  for (const id of published) await n8n.cli(['publish:workflow', '--id', id]);
  const port = await freePort();
  const server = await n8n.start(port);
  try {
    const hook = `http://127.0.0.1:${port}/webhook/trader-proposal-review`;
    await step(
      'start n8n with the approval and HTTP run workflows published (webhook and schedule active)',
      async () => {
        await waitForHttp(`http://127.0.0.1:${port}/healthz/readiness`, 120_000, server);
        // Ready comes before published workflows are activated: until then the webhook is a 404.
        for (let tries = 0; (await call(hook, { body: {} })).status === 404; tries++) {
          check(
            tries < 120,
            `the webhook ${hook} was not registered within 60 s of n8n being ready:\n${server.output().slice(-2000)}`,
          );
          await new Promise((r) => setTimeout(r, 500));
        }
        for (const id of published)
          check(
            new RegExp(`Activated workflow "[^"]+" \\(ID: ${id}\\)`).test(server.output()),
            `n8n did not activate the published workflow ${id}:\n${server.output().slice(-2000)}`,
          );
      },
    );
    const withKey = { 'x-approval-key': key };
    await step('(c) approval webhook: refusals, a rejection, an approval', async () => {
      const noKey = await call(hook, { body: { proposal_id: second, decision: 'reject' } });
      check(noKey.status === 403, `webhook without its key: ${noKey.status}, not 403`);
      const bad = await call(hook, { headers: withKey, body: { proposal_id: second, decision: 'maybe' } });
      check(bad.status === 400 && bad.body.error?.code === 'BAD_INPUT', `webhook with decision 'maybe': ${bad.status}`);
      const rejected = await call(hook, {
        headers: withKey,
        body: { proposal_id: second, decision: 'reject', note: 'not today' },
      });
      check(
        rejected.status === 200 &&
          rejected.body.status === 'rejected' &&
          rejected.body.proposal.decision_note === 'not today',
        `rejecting #${second}: ${rejected.status} ${JSON.stringify(rejected.body).slice(0, 300)}`,
      );
      const again = await call(hook, { headers: withKey, body: { proposal_id: second, decision: 'reject' } });
      check(
        again.status === 400 && /already rejected/.test(again.body.error?.message),
        `rejecting #${second} twice: ${again.status} ${JSON.stringify(again.body).slice(0, 300)}`,
      );
      const unknown = await call(hook, { headers: withKey, body: { proposal_id: 999999, decision: 'approve' } });
      check(
        unknown.status === 404 && unknown.body.error?.code === 'NOT_FOUND',
        `approving an unknown proposal: ${unknown.status}`,
      );
      const approved = await call(hook, { headers: withKey, body: { proposal_id: first, decision: 'approve' } });
      check(
        approved.status === 200 && approved.body.status === 'approved' && Number.isInteger(approved.body.position_id),
        `approving #${first}: ${approved.status} ${JSON.stringify(approved.body).slice(0, 300)}`,
      );
      const listed = await call(`${traderUrl}/proposals?limit=10`, { headers: auth });
      const stored = new Map(
        (listed.body.proposals as Array<{ proposal_id: number; status: string }>).map((p) => [p.proposal_id, p.status]),
      );
      check(
        stored.get(first) === 'approved' && stored.get(second) === 'rejected',
        `stored proposals after the webhook calls: ${JSON.stringify([...stored])}`,
      );
      console.log(
        `  403 without key, 400 bad decision, #${second} rejected, 400 twice, 404 unknown, #${first} approved: paper position ${approved.body.position_id} at ${approved.body.fill_reference}`,
      );
    });
  } finally {
    await server.stop();
  }
}
