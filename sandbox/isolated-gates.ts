import { isTraderError } from '../core/errors.ts';
import type { GateReport } from '../registry/gate-report.ts';
import type { LoadedModule } from '../engine/loader/module-loader.ts';
import { gateSampleName } from '../engine/gates/module-gates.ts';
import { GATE_LIMIT_MS } from './limits.ts';
import { moduleRef } from './refs.ts';
import type { Sandbox } from './sandbox.ts';
import { releaseSandbox, warmSandbox } from './probe.ts';

/**
 * The registration gates (engine/gates/module-gates.ts, with their watched-call
 * Proxies) run whole in a sandbox: every call within the call limit, all of them within
 * GATE_LIMIT_MS. A module the watchdog stops fails its gate with the sandbox's sentence.
 */
export async function runGatesIsolated(
  target: LoadedModule,
  available: readonly LoadedModule[],
  shared?: Sandbox,
): Promise<GateReport> {
  const sandbox = shared ?? warmSandbox();
  try {
    return await sandbox.request(
      { op: 'gate', target: moduleRef(target), available: available.map(moduleRef) },
      { limitMs: GATE_LIMIT_MS, usedMs: 0 },
    );
  } catch (e) {
    if (!isTraderError(e) || e.code === 'INTERRUPTED') throw e;
    return stoppedGate(e.message);
  } finally {
    if (!shared) await releaseSandbox(sandbox);
  }
}

/** The report of a gate the sandbox stopped: failed, with the one sentence that says why. */
function stoppedGate(sentence: string): GateReport {
  return {
    status: 'failed',
    checked_at: new Date().toISOString(),
    sample: gateSampleName,
    bars_evaluated: 0,
    contract_kept: false,
    deterministic: false,
    lookahead_free: false,
    warmup_bars: null,
    read_depth_bars: null,
    producers: [],
    unproduced_inputs: [],
    reasons: [sentence],
  };
}
