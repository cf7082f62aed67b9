#!/usr/bin/env node
// `npm run demo`: what a new user would type, run for them, on the embedded database in
// .trader/ (or TRADER_HOME). Every step is a real `trader` command and is printed first.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'trader.js');
const sample = (base) => path.join(root, 'data', 'sample', `binance_${base}-USDT_1h_2024.csv`);
const asOf = '2024-03-05T02:00:00Z';

const steps = [
  ['db', 'migrate'],
  ['db', 'seed'],
  ['data', 'import', sample('BTC'), '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1h'],
  ['data', 'import', sample('ETH'), '--exchange', 'binance', '--symbol', 'ETH/USDT', '--timeframe', '1h'],
  ['macro', 'import', path.join(root, 'data', 'sample', 'macro', 'coingecko_dominance_daily_2023_2024.csv')],
  ['pipeline', 'validate'],
  ['run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', asOf],
  ['run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', asOf, '--strategy', 'breakout'],
  ['status'],
  // Semi-Automatic: the same decision becomes a proposal that waits for approval.
  ['mode', 'set', 'semi_auto', '--yes'],
  ['run', '--symbols', 'BTC/USDT', '--as-of', asOf, '--strategy', 'breakout'],
  ['proposals', 'list', '--status', 'pending', '--limit', '3'],
  ['mode', 'set', 'observe'],
  // The same registered pipeline replayed over two months, with the look-ahead proof.
  [
    'backtest',
    '--symbols',
    'BTC/USDT,ETH/USDT',
    '--from',
    '2024-03-01',
    '--to',
    '2024-05-01',
    '--strategy',
    'breakout',
    '--check-lookahead',
    '20',
    '--trades',
    '5',
  ],
  ['audit', 'tail', '-n', '5'],
  ['audit', 'verify'],
];

const env = { ...process.env, TRADER_LOG_LEVEL: process.env.TRADER_LOG_LEVEL ?? 'warn' };
for (const args of steps) {
  const shown = args.map((a) => (a.startsWith(root) ? path.relative(process.cwd(), a) : a));
  console.log(`\n$ trader ${shown.join(' ')}`);
  const result = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`\ndemo: step "trader ${args[0]} ${args[1]}" exited with ${result.status}; see the message above.`);
    process.exit(result.status ?? 1);
  }
}
console.log(
  '\nEvery decision above is recorded: try `npm run trader -- runs list`, `npm run trader -- runs show <run_id>`, `npm run trader -- status` and `npm run trader -- backtest list`.' +
    '\nOr in a browser: `npx trader serve token create --name me` (prints a token once), then `npx trader serve` and open http://127.0.0.1:8787/ui.',
);
