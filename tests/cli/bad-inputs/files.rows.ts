import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

/**
 * `trader pipeline|strategy|config show/export/apply`: files that are refused whole, before
 * anything is written (the table checks every table's row count is unchanged).
 */

/** Writes `{tmp}/<name>` with `text`. */
const file = (name: string, text: string) => (tmp: string) => fs.writeFileSync(path.join(tmp, name), text);

const pipeline = (agent: string) =>
  [
    'pipeline: default',
    'stages:',
    '  context: [{ module: trend_volatility_v1 }]',
    '  filter: [{ module: volatility_liquidity_v1 }]',
    `  agent: [${agent}]`,
    '  confluence: [{ module: n_of_m_v1 }]',
    '  risk: [{ module: fixed_fractional_v1 }]',
    '',
  ].join('\n');

const refused = (kind: string, name: string, n: number) =>
  new RegExp(`^trader: The ${kind} file for ${name} was refused, nothing was changed: ${n} problems?:$`);
const invalid = (kind: string) => new RegExp(`^trader: The ${kind} file is invalid, nothing was changed: `);

export const rows: BadInput[] = [
  {
    what: 'pipeline apply of a file that does not exist',
    args: ['pipeline', 'apply', '{tmp}/missing.yaml'],
    exit: 2,
    message: /^trader: File .*missing\.yaml does not exist: check the path\.$/,
  },
  {
    what: 'pipeline apply of a directory',
    args: ['pipeline', 'apply', '{tmp}'],
    exit: 2,
    message: /^trader: .* is a directory: give the path of a YAML or JSON file\.$/,
  },
  {
    what: 'config apply of a named pipe (FIFO), which would block',
    args: ['config', 'apply', '{tmp}/fifo.yaml'],
    setup: (tmp) => execFileSync('mkfifo', [path.join(tmp, 'fifo.yaml')]),
    exit: 2,
    message:
      /^trader: .*fifo\.yaml is a named pipe \(FIFO\), not a regular file: give the path of a YAML or JSON file\.$/,
  },
  {
    what: 'pipeline apply of malformed YAML',
    args: ['pipeline', 'apply', '{tmp}/p.yaml'],
    setup: file('p.yaml', 'pipeline: default\nstages: [unclosed\n'),
    exit: 2,
    message: /^trader: .*p\.yaml is not valid YAML or JSON at line \d+, column \d+: .+\.$/,
  },
  {
    what: 'strategy apply of YAML with a key given twice',
    args: ['strategy', 'apply', '{tmp}/s.yaml'],
    setup: file('s.yaml', 'strategy: breakout\nstrategy: breakout\nstages: {}\n'),
    exit: 2,
    message: /^trader: .*s\.yaml is not valid YAML or JSON at line 2, column 1: Map keys must be unique\.$/,
  },
  {
    what: 'config apply of malformed JSON',
    args: ['config', 'apply', '{tmp}/c.json'],
    setup: file('c.json', '{"system": {"operational_mode": "observe",}'),
    exit: 2,
    message: /^trader: .*c\.json is not valid YAML or JSON at line 1, column \d+: .+\.$/,
  },
  {
    what: 'config apply of an empty file',
    args: ['config', 'apply', '{tmp}/empty.yaml'],
    setup: file('empty.yaml', ''),
    exit: 2,
    message: /^trader: The configuration file is invalid, nothing was changed: \(top level\): .*expected object.*\.$/,
  },
  {
    what: 'pipeline file naming a module that is not registered',
    args: ['pipeline', 'apply', '{tmp}/p.yaml', '--yes'],
    setup: file('p.yaml', pipeline('{ module: no_such_v1 }')),
    exit: 2,
    message: refused('pipeline', 'default', 1),
    extraLines:
      /^ {2}- stages\.agent: module no_such_v1 is not registered; register its file with `trader module register <file>`/,
  },
  {
    what: 'pipeline file with a param the module does not have',
    args: ['pipeline', 'apply', '{tmp}/p.yaml', '--yes'],
    setup: file('p.yaml', pipeline('{ module: breakout_v1, params: { bogus: 1 } }')),
    exit: 2,
    message: refused('pipeline', 'default', 1),
    extraLines: /^ {2}- pipeline default, agent slot breakout_v1: params has a field it does not know: bogus$/,
  },
  {
    what: 'pipeline file with a param out of its range',
    args: ['pipeline', 'apply', '{tmp}/p.yaml', '--yes'],
    setup: file('p.yaml', pipeline('{ module: breakout_v1, params: { lookback: 1 } }')),
    exit: 2,
    message: refused('pipeline', 'default', 1),
    extraLines: /^ {2}- pipeline default, agent slot breakout_v1: params\.lookback must be at least 5$/,
  },
  {
    what: 'pipeline file with a module in the wrong stage',
    args: ['pipeline', 'apply', '{tmp}/p.yaml', '--yes'],
    setup: file('p.yaml', pipeline('{ module: breakout_v1 }, { module: n_of_m_v1 }')),
    exit: 2,
    message: /^trader: The pipeline file for default was refused, nothing was changed: \d+ problems?:$/,
    extraLines: /^ {2}- pipeline default, .+$/,
  },
  {
    what: 'pipeline file with an unknown key',
    args: ['pipeline', 'apply', '{tmp}/p.yaml'],
    setup: file('p.yaml', `${pipeline('{ module: breakout_v1 }')}colour: red\n`),
    exit: 2,
    message: /^trader: The pipeline file is invalid, nothing was changed: the file has unknown key 'colour'\.$/,
  },
  {
    what: 'a strategy file given to pipeline apply',
    args: ['pipeline', 'apply', '{tmp}/s.yaml'],
    setup: file('s.yaml', 'strategy: breakout\npipeline: default\nstages:\n  agent: [{ module: breakout_v1 }]\n'),
    exit: 2,
    message: /^trader: The pipeline file is invalid, nothing was changed: the file has unknown key 'strategy'\.$/,
  },
  {
    what: 'strategy file with an unknown stage and a misspelt slot key',
    args: ['strategy', 'apply', '{tmp}/s.yaml'],
    setup: file('s.yaml', 'strategy: breakout\nstages:\n  agents: [{ module: breakout_v1 }]\n  risk: [{ modul: x }]\n'),
    exit: 2,
    message: /^trader: The strategy file is invalid, nothing was changed: .*stages has unknown key 'agents'.*\.$/,
  },
  {
    what: 'strategy file for a pipeline that does not exist',
    args: ['strategy', 'apply', '{tmp}/s.yaml', '--yes'],
    setup: file('s.yaml', 'strategy: lonely\npipeline: nowhere\nstages:\n  agent: [{ module: breakout_v1 }]\n'),
    exit: 2,
    message: refused('strategy', 'lonely', 1),
    extraLines: /^ {2}- pipeline: pipeline nowhere does not exist; a strategy replaces stages of an existing pipeline$/,
  },
  {
    what: 'a changing pipeline file without --yes and without a terminal',
    args: ['pipeline', 'apply', '{tmp}/p.yaml'],
    setup: file('p.yaml', pipeline('{ module: breakout_v1, params: { lookback: 30 } }')),
    exit: 2,
    message: /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
  },
  {
    what: 'pipeline show of a pipeline that does not exist',
    args: ['pipeline', 'show', 'nowhere'],
    exit: 2,
    message: /^trader: pipeline nowhere does not exist \(known: default\)\.$/,
  },
  {
    what: 'strategy export of a version that does not exist',
    args: ['strategy', 'export', 'breakout', '--version', '9'],
    exit: 2,
    message: /^trader: strategy breakout has no version 9 \(versions: none yet\)\.$/,
  },
  {
    what: 'pipeline export --version that is not a whole number',
    args: ['pipeline', 'export', 'default', '--version', 'latest'],
    exit: 2,
    message: /^trader: --version must be a positive whole number, not 'latest'\.$/,
  },
  {
    what: 'config export --out into a folder that does not exist',
    args: ['config', 'export', '--out', '{tmp}/no/such/folder/config.yaml'],
    exit: 2,
    message: /^trader: Cannot write .*config\.yaml: its folder does not exist\.$/,
  },
  {
    what: 'config export --out naming a directory',
    args: ['config', 'export', '--out', '{tmp}'],
    exit: 2,
    message: /^trader: Cannot write .*: it is a directory; name a file\.$/,
  },
  {
    what: 'config file with a setting trader does not have (require_strategy_approval)',
    args: ['config', 'apply', '{tmp}/c.yaml'],
    setup: file('c.yaml', 'system:\n  require_strategy_approval: true\n'),
    exit: 2,
    message:
      /^trader: The configuration file is invalid, nothing was changed: system has unknown key 'require_strategy_approval'\.$/,
  },
  {
    what: 'config file with an unknown emergency halt action',
    args: ['config', 'apply', '{tmp}/c.json'],
    setup: file('c.json', '{"system": {"emergency_halt_action": "PANIC"}}'),
    exit: 2,
    message:
      /^trader: The configuration file is invalid, nothing was changed: system\.emergency_halt_action: .*HALT_ONLY.*\.$/,
  },
  {
    what: 'config file raising the mode to full_auto (the mode command asks for that)',
    args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
    setup: file('c.yaml', 'system:\n  operational_mode: full_auto\n'),
    exit: 2,
    message: refused('configuration', 'TEST', 1),
    extraLines:
      /^ {2}- system\.operational_mode: raising autonomy from observe to full_auto is not done by a file; run `trader mode set full_auto`, which warns and asks first$/,
  },
  {
    what: 'config file activating leverage (typed phrase and PIN are needed)',
    args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
    setup: file('c.yaml', 'leverage:\n  active: true\n'),
    exit: 2,
    message: refused('configuration', 'TEST', 1),
    extraLines: /^ {2}- leverage\.active: .*run `trader leverage enable`$/,
  },
  {
    what: 'config file choosing MARKET_CLOSE_ALL_AND_HALT (typed acknowledgement is needed)',
    args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
    setup: file('c.yaml', 'system:\n  emergency_halt_action: MARKET_CLOSE_ALL_AND_HALT\n'),
    exit: 2,
    message: refused('configuration', 'TEST', 1),
    extraLines: /^ {2}- system\.emergency_halt_action: .*run `trader halt action MARKET_CLOSE_ALL_AND_HALT`$/,
  },
  {
    what: 'config file for LIVE applied by a TEST process',
    args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
    setup: file('c.yaml', 'system_mode: LIVE\n'),
    exit: 2,
    message: refused('configuration', 'TEST', 1),
    extraLines: /^ {2}- system_mode: the file holds LIVE settings but this process works on TEST/,
  },
  {
    what: 'config file with a risk profile out of its range',
    args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
    setup: file('c.yaml', 'risk_profiles:\n  medium:\n    max_drawdown_pct: 60\n'),
    exit: 2,
    message: refused('configuration', 'TEST', 1),
    extraLines:
      /^ {2}- risk_profiles\.medium\.max_drawdown_pct must be between 10 and 25 in the medium profile, not 60$/,
  },
  {
    what: 'config file with a market whose strategy does not exist',
    args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
    setup: file('c.yaml', 'markets:\n  BTC/USDT: { strategy: nope }\n'),
    exit: 2,
    message: refused('configuration', 'TEST', 1),
    extraLines: /^ {2}- markets\.BTC\/USDT: strategy nope: strategy 'nope' does not exist/,
  },
  {
    what: 'config file with a malformed market symbol',
    args: ['config', 'apply', '{tmp}/c.yaml', '--yes'],
    setup: file('c.yaml', 'markets:\n  btc-usdt: {}\n'),
    exit: 2,
    message: invalid('configuration'),
  },
];
