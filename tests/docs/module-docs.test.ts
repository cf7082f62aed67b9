import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { moduleDocsRelPath, renderModuleDocs } from '../../orchestrator/module-docs.ts';
import { manifest as breakout } from '../../modules/agents/breakout_v1.ts';

describe('docs/modules.md', () => {
  it('is current: the checked-in file equals what the manifests render (run `trader schema docs` to fix)', async () => {
    const file = path.join(packageRoot, moduleDocsRelPath);
    const onDisk = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing)';
    expect(onDisk, "docs/modules.md is stale: run 'trader schema docs' and commit it").toBe(await renderModuleDocs());
  });

  it('lists every shipped module file with its keys, and every param with its default and meaning', async () => {
    const md = await renderModuleDocs();
    const files = fs
      .readdirSync(path.join(packageRoot, 'modules'), { recursive: true })
      .map(String)
      .filter((f) => /_v\d+\.ts$/.test(f));
    for (const f of files) expect(md).toContain(`modules/${f.split(path.sep).join('/')}`);
    expect(md).toContain(
      '| [`breakout_v1`](#breakout_v1) | agent | 1.0.0 | `candles`, `market_state`, `volatility` | `signals` |',
    );
    const lookback = (breakout.params.shape as { lookback: { description?: string } }).lookback.description!;
    expect(md).toContain(`| \`lookback\` | integer | \`20\` | >= 5, <= 500 | ${lookback} |`);
  });
});
