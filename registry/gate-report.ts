import { z } from 'zod';

/** What the registration gates found about a module (engine/gates/), kept in `module_registry.gate`. */
export const GateReport = z.object({
  status: z.enum(['passed', 'failed']),
  checked_at: z.string(),
  sample: z.string(),
  bars_evaluated: z.number().int(),
  contract_kept: z
    .boolean()
    .optional()
    .describe(
      'never threw, wrote only declared outputs valid by their schemas, read only declared inputs; absent in reports from before this gate',
    ),
  deterministic: z.boolean(),
  lookahead_free: z.boolean(),
  warmup_bars: z.number().int().nullable().describe('null: the output still changed with the longest window tried'),
  read_depth_bars: z
    .number()
    .int()
    .nullable()
    .optional()
    .describe('how many bars back it read at most (null: from the first bar it was given); absent in older reports'),
  producers: z.array(z.string()).describe('registered modules run before it to produce its inputs'),
  unproduced_inputs: z.array(z.string()),
  reasons: z.array(z.string()),
});
export type GateReport = z.infer<typeof GateReport>;
