import { z } from 'zod';

/** What the registration gates found about a module (orchestrator/gates/), kept in `module_registry.gate`. */
export const GateReport = z.object({
  status: z.enum(['passed', 'failed']),
  checked_at: z.string(),
  sample: z.string(),
  bars_evaluated: z.number().int(),
  deterministic: z.boolean(),
  lookahead_free: z.boolean(),
  warmup_bars: z.number().int().nullable().describe('null: the output still changed with the longest window tried'),
  producers: z.array(z.string()).describe('registered modules run before it to produce its inputs'),
  unproduced_inputs: z.array(z.string()),
  reasons: z.array(z.string()),
});
export type GateReport = z.infer<typeof GateReport>;

