import path from 'node:path';
import { parseTraderEnv, type TraderEnv } from '../../core/env.ts';
import { assertUsableDir } from '../../core/usable-dir.ts';
import { traderHome } from '../../store/open.ts';

/**
 * What the CLI checks before any command runs: every environment variable (one sentence
 * naming a bad one), and the folders a user pointed it at with `TRADER_HOME` or
 * `TRADER_LOG_DIR` (a file, a read-only folder or /proc would otherwise fail mid-command or hang).
 */
export function checkStartupEnv(env: NodeJS.ProcessEnv): TraderEnv & { logDir: string } {
  const config = parseTraderEnv(env);
  if (config.TRADER_HOME !== undefined && config.DATABASE_URL === undefined)
    assertUsableDir(traderHome(env), 'TRADER_HOME');
  const logDir = config.TRADER_LOG_DIR ?? path.join(traderHome(env), 'logs');
  if (config.TRADER_LOG_DIR !== undefined) assertUsableDir(logDir, 'TRADER_LOG_DIR');
  else if (config.TRADER_HOME !== undefined) assertUsableDir(logDir, 'TRADER_HOME');
  return { ...config, logDir };
}
