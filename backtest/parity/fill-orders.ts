import type { RunFingerprint } from '../../engine/run/run-fingerprint.ts';
import { type FilledOrder, orderCost, type OrderCost } from './fill-costs.ts';
import { decisionKey, type FillLine } from './parity-load.ts';
import type { DecisionShape } from './parity-schema.ts';

type Rates = FilledOrder['model'];

/**
 * Fill rows grouped into filled orders, each with the entry its decision sized it at (the
 * price the model fills at, plus the model's slippage) and the model's costs: for a paper
 * fill the costs its run recorded (the model that filled it), for an exchange fill the paper
 * model as it stands now (what paper trading and backtests assume LIVE fills cost).
 */
export function filledOrders(
  fills: FillLine[],
  decisions: Map<string, DecisionShape>,
  prints: Map<string, RunFingerprint | null>,
  paperNow: Rates,
): { source: FillLine['source']; order: FilledOrder }[] {
  const groups = new Map<string, FillLine[]>();
  for (const f of fills) {
    const k = `${f.source}|${f.order_ref}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  const out: { source: FillLine['source']; order: FilledOrder }[] = [];
  for (const lines of groups.values()) {
    const first = lines[0]!;
    const k = decisionKey(first.run_id, first.symbol);
    const intent = decisions.get(k)?.intents.find((i) => i.side === first.side);
    if (!intent || !(intent.entry > 0)) continue; // no decision to compare with (placed by hand, or a tampered log)
    const qty = lines.reduce((s, f) => s + f.qty, 0);
    const avg = lines.reduce((s, f) => s + f.qty * f.price, 0) / qty;
    const [base, quoteAsset] = first.symbol.split('/') as [string, string];
    let fee: number | null = 0;
    for (const f of lines) {
      if (fee === null) break;
      // A fee in the base asset is worth its fill price; in a third asset (BNB) parity cannot price it.
      fee =
        f.fee_asset === quoteAsset
          ? fee + f.fee
          : f.fee_asset === base
            ? fee + f.fee * f.price
            : f.fee === 0
              ? fee
              : null;
    }
    const recorded = prints.get(k)?.inputs?.costs;
    out.push({
      source: first.source,
      order: {
        side: first.side,
        reference: intent.entry,
        qty,
        avg_price: avg,
        fee_quote: fee,
        model: first.source === 'paper' && recorded ? recorded : paperNow,
      },
    });
  }
  return out;
}

/** The costs of every filled order, paper and exchange apart. */
export function fillCosts(
  fills: FillLine[],
  decisions: Map<string, DecisionShape>,
  prints: Map<string, RunFingerprint | null>,
  paperNow: Rates,
): { paper: OrderCost[]; exchange: OrderCost[] } {
  const orders = filledOrders(fills, decisions, prints, paperNow);
  return {
    paper: orders.filter((o) => o.source === 'paper').map((o) => orderCost(o.order)),
    exchange: orders.filter((o) => o.source === 'exchange').map((o) => orderCost(o.order)),
  };
}
