import { describe } from '../../../backtest/parity/parity-compare.ts';
import type { CostStats, ParityReport } from '../../../backtest/parity/parity-schema.ts';
import { table } from '../table.ts';

/** `trader parity`'s text: the counts first, then each difference with its cause, then fill costs against the model. */

const iso = (s: string) => s.replace(':00.000Z', 'Z');
const bps = (s: { mean: number; p95: number } | null) => (s ? `${s.mean} / ${s.p95}` : '-');

function costLines(label: string, c: CostStats): string[] {
  if (c.fills === 0) return [`  ${label}: no filled entry orders`];
  return [
    `  ${label}: ${c.fills} filled entry order(s); bps, mean / p95 (positive = worse for the trader)`,
    ...table(
      ['', 'reality', 'model'],
      [
        ['slippage', bps(c.slippage_bps), bps(c.model_slippage_bps)],
        ['fee', bps(c.fee_bps), bps(c.model_fee_bps)],
      ],
    )
      .split('\n')
      .map((l) => `    ${l}`),
    `    reality minus model, per fill: ${c.optimistic_by_bps ?? '-'} bps`,
  ];
}

export function renderParity(r: ParityReport): string {
  const d = r.decisions;
  const causes = Object.entries(r.causes)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  const lines = [
    `Parity ${iso(r.from)} .. ${iso(r.to)}${r.pipeline_id ? `, pipeline ${r.pipeline_id}` : ''}: ${r.runs} run(s), ${d.checked} decision(s) re-decided`,
    `  identical ${d.identical}, different ${d.different}${causes ? ` (${causes})` : ''}, not verifiable ${d.unverified}`,
  ];
  if (r.differences.length > 0) {
    lines.push('', 'Differences:');
    lines.push(
      table(
        ['as_of', 'symbol', 'run', 'cause', 'recorded', 'replayed', 'why'],
        r.differences.map((x) => [
          iso(x.as_of),
          x.symbol,
          x.run_id.slice(0, 8),
          x.cause,
          describe(x.recorded),
          describe(x.replayed),
          x.explanation,
        ]),
      ),
    );
  }
  if (r.unverified.length > 0) {
    lines.push('', 'Not verifiable:');
    for (const u of r.unverified) lines.push(`  ${iso(u.as_of)} ${u.symbol} run ${u.run_id.slice(0, 8)}: ${u.reason}`);
  }
  lines.push('', 'Fill costs against the paper fill model:');
  lines.push(...costLines('paper (TEST)', r.costs.paper), ...costLines('exchange (LIVE)', r.costs.exchange));
  if (r.costs.suggestion) lines.push('', r.costs.suggestion);
  if (!r.ok)
    lines.push(
      '',
      `${r.causes.unexplained} difference(s) have no explained cause: a defect to investigate (\`trader runs show <run_id>\`).`,
    );
  return lines.join('\n');
}
