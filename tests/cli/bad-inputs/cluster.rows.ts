import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

/**
 * `trader correlation matrix` and the correlated-cluster rule's profile settings. The
 * settings' rows go through `config apply`, which refuses without writing anything;
 * `trader risk edit` applies the same bounds (trading/risk-profiles.ts) but audits each
 * refused edit, so its refusals are tested in tests/trading/cluster-profile.test.ts.
 */

const matrix = (...flags: string[]) => ['correlation', 'matrix', ...flags];
const pair = ['--symbols', 'BTC/USDT,ETH/USDT'];
const applyProfile = (profile: string, line: string): Pick<BadInput, 'args' | 'setup'> => ({
  args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
  setup: (tmp) => fs.writeFileSync(path.join(tmp, 'c.yaml'), `risk_profiles:\n  ${profile}:\n    ${line}\n`),
});
const refused = /^trader: The configuration file for TEST was refused, nothing was changed: 1 problem:$/;

export const rows: BadInput[] = [
  {
    what: 'correlation matrix of one symbol',
    args: matrix('--symbols', 'BTC/USDT'),
    exit: 2,
    message: /^trader: A correlation matrix needs at least two symbols, e\.g\. --symbols BTC\/USDT,ETH\/USDT\.$/,
  },
  {
    what: 'correlation matrix of a symbol without stored candles',
    args: matrix('--symbols', 'BTC/USDT,DOGE/USDT'),
    exit: 2,
    message:
      /^trader: No 1h candles of DOGE\/USDT on binance are stored; import or fetch them first \(trader data fetch --symbols DOGE\/USDT --timeframe 1h\)\.$/,
  },
  {
    what: 'correlation matrix of a malformed symbol',
    args: matrix('--symbols', 'BTC/USDT,btc'),
    exit: 2,
    message: /^trader: 'btc' is not a symbol like BTC\/USDT \(upper case BASE\/QUOTE\)\.$/,
  },
  {
    what: 'correlation matrix with a symbol listed twice',
    args: matrix('--symbols', 'BTC/USDT,BTC/USDT'),
    exit: 2,
    message: /^trader: A symbol is listed twice in --symbols\.$/,
  },
  {
    what: 'correlation matrix --window without a unit',
    args: matrix(...pair, '--window', '90'),
    exit: 2,
    message: /^trader: --window '90' is not a window of 1 day to 10 years; write it like 90d, 12w or 720h\.$/,
  },
  {
    what: 'correlation matrix --window of zero days',
    args: matrix(...pair, '--window', '0d'),
    exit: 2,
    message: /^trader: --window '0d' is not a window of 1 day to 10 years/,
  },
  {
    what: 'correlation matrix --window too short for the timeframe',
    args: matrix(...pair, '--window', '7d', '--timeframe', '1d'),
    exit: 2,
    message:
      /^trader: --window 7d holds only 7 1d bars, fewer than the 20 a correlation needs; give a longer window\.$/,
  },
  {
    what: 'correlation matrix --window too long for the timeframe',
    args: matrix(...pair, '--window', '3650d', '--timeframe', '1m'),
    exit: 2,
    message: /^trader: --window 3650d holds 5256000 1m bars, more than the 200000 one matrix loads/,
  },
  {
    what: 'correlation matrix with an unknown timeframe',
    args: matrix(...pair, '--timeframe', '3h'),
    exit: 2,
    message: /^trader: Unknown timeframe '3h': use one of /,
  },
  {
    what: 'correlation matrix --as-of that is not a time',
    args: matrix(...pair, '--as-of', 'yesterday'),
    exit: 2,
    message: /^trader: --as-of 'yesterday' is not a UTC time/,
  },
  {
    what: 'correlation matrix --as-of in the future',
    args: matrix(...pair, '--as-of', '2099-01-01'),
    exit: 2,
    message: /^trader: --as-of 2099-01-01T00:00:00\.000Z is in the future/,
  },
  {
    what: 'config file with a cluster cap above its range',
    ...applyProfile('medium', 'cluster_cap_pct: 30'),
    exit: 2,
    message: refused,
    extraLines:
      /^ {2}- risk_profiles\.medium\.cluster_cap_pct must be between 0\.5 and 25 in the medium profile, not 30$/,
  },
  {
    what: 'config file with a cluster cap below one trade',
    ...applyProfile('medium', 'cluster_cap_pct: 0.6'),
    exit: 2,
    message: refused,
    extraLines:
      /^ {2}- risk_profiles\.medium\.cluster_cap_pct must not be below risk_per_trade_pct \(0\.6 < 1\), or a single trade would break the cluster cap$/,
  },
  {
    what: 'config file with a cluster minimum correlation above 1',
    ...applyProfile('low', 'cluster_min_correlation: 1.5'),
    exit: 2,
    message: refused,
    extraLines:
      /^ {2}- risk_profiles\.low\.cluster_min_correlation must be between 0 and 1 in the low profile, not 1\.5$/,
  },
  {
    what: 'config file with a negative cluster minimum correlation',
    ...applyProfile('high', 'cluster_min_correlation: -0.3'),
    exit: 2,
    message: refused,
    extraLines:
      /^ {2}- risk_profiles\.high\.cluster_min_correlation must be between 0 and 1 in the high profile, not -0\.3$/,
  },
  {
    what: 'config file with a fractional cluster window',
    ...applyProfile('medium', 'cluster_window_days: 7.5'),
    exit: 2,
    message: refused,
    extraLines: /^ {2}- risk_profiles\.medium\.cluster_window_days must be a whole number, not 7\.5$/,
  },
  {
    what: 'config file with a cluster window over a year',
    ...applyProfile('medium', 'cluster_window_days: 400'),
    exit: 2,
    message: refused,
    extraLines:
      /^ {2}- risk_profiles\.medium\.cluster_window_days must be between 7 and 365 in the medium profile, not 400$/,
  },
];
