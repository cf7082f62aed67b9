import { html } from 'hono/html';
import type { Ask } from '../../../trading/governance/user-action.ts';
import { csrfField, type Html } from './layout.ts';
import type { DashboardContext } from './session-guard.ts';

/**
 * The CLI's questions, asked on a page. A governance use case asks through `Ask` before it
 * changes anything (user-action.ts); here the first unanswered question stops it (nothing
 * written, nothing audited) and the page shows that very question (the CLI's warning, the
 * phrase to type, the PIN) in a form that sends the action again with every answer so far.
 * So a multi-stage confirmation is as many pages, in the CLI's order. Answers travel as
 * `a1`, `a2`, ...; a PIN is never put into a page: a later page asks for it again.
 */

type Question =
  { kind: 'confirm'; warning: string } | { kind: 'phrase'; warning: string; phrase: string } | { kind: 'pin' };

/** Thrown by the dashboard's Ask at the first question without an answer; not a TraderError, so nothing audits it. */
export class QuestionPending extends Error {
  constructor(
    readonly index: number,
    readonly question: Question,
    readonly asked: Question[],
  ) {
    super('a question of the action is not answered yet');
    this.name = 'QuestionPending';
  }
}

/** An Ask that answers from the form's `a<n>` fields, in order, and stops at the first missing one. */
export function formAsk(form: Record<string, string>): Ask {
  const asked: Question[] = [];
  const answer = (q: Question): string => {
    asked.push(q);
    const i = asked.length;
    const a = form[`a${i}`];
    if (a === undefined || a === '') throw new QuestionPending(i, q, [...asked]);
    return a;
  };
  return {
    confirm: async (warning) => answer({ kind: 'confirm', warning }) === 'yes',
    phrase: async (warning, phrase) => answer({ kind: 'phrase', warning, phrase }),
    pin: async () => answer({ kind: 'pin' }),
  };
}

function questionFields(q: Question, index: number) {
  const name = `a${index}`;
  if (q.kind === 'confirm') return html`<p class="warning">${q.warning}</p>`;
  if (q.kind === 'phrase')
    return html`<p class="warning">${q.warning}</p>
      <label for="${name}">Type <code>${q.phrase}</code> to confirm</label>
      <input id="${name}" name="${name}" type="text" autocomplete="off" required />`;
  return html`<label for="${name}">Master PIN</label>
    <input id="${name}" name="${name}" type="password" autocomplete="off" required />`;
}

/**
 * The page for a pending question: the action's own fields, the answers given so far
 * (a PIN asked again), and the new question; *Confirm* sends it all, *Cancel* goes back.
 */
export function questionForm(
  c: DashboardContext,
  o: { action: string; fields: Record<string, string>; pending: QuestionPending; back: string },
): Html {
  const form = c.get('form');
  const earlier = o.pending.asked
    .slice(0, -1)
    .map((q, i) =>
      q.kind === 'pin'
        ? questionFields(q, i + 1)
        : html`<input type="hidden" name="a${i + 1}" value="${form[`a${i + 1}`] ?? ''}" />`,
    );
  return html`<form method="post" action="${o.action}" class="confirm approve">
    ${csrfField(c.get('session'))}
    ${Object.entries(o.fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)} ${earlier}
    ${questionFields(o.pending.question, o.pending.index)}
    ${
      o.pending.question.kind === 'confirm'
        ? html`<button type="submit" name="a${o.pending.index}" value="yes">Confirm</button>
            <button type="submit" name="a${o.pending.index}" value="no">Decline</button>`
        : html`<button type="submit">Confirm</button>`
    }
    <a href="${o.back}">Cancel</a>
  </form>`;
}
