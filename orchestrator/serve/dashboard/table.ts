import { html } from 'hono/html';
import type { Html } from './layout.ts';

/** Every table of the dashboard: scrolls sideways on a narrow screen, says so when it has no rows. */
export function dataTable(o: {
  headers: readonly string[];
  rows: readonly Html[];
  empty: Html | string;
  caption?: string;
  className?: string;
}): Html {
  if (o.rows.length === 0) return html`<p>${o.empty}</p>`;
  return html`<div class="scroll">
    <table class="${o.className ?? ''}">
      ${
        o.caption
          ? html`<caption>
              ${o.caption}
            </caption>`
          : ''
      }
      <thead>
        <tr>
          ${o.headers.map((h) => html`<th>${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${o.rows}
      </tbody>
    </table>
  </div>`;
}
