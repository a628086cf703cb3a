// The single-file CLI from `npm run bundle` (bundle/hwq.js) must give the same results as the unbundled
// CLI, from a directory outside the repository (so nothing resolves through node_modules). Skipped when the
// bundle has not been built.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';
import { runFile as run } from './run-hwq.js';

const BUNDLE = join(REPO_ROOT, 'bundle', 'hwq.js');
const STALE = 'bundle/hwq.js disagrees with the build: rebuild it with `npm run bundle`';

if (!existsSync(BUNDLE)) {
  console.log(`  skip 'bundle': ${BUNDLE} is absent (build it with \`npm run bundle\`)`);
  test.skip('bundled CLI matches the unbundled CLI', () => {});
} else {
  const elsewhere = mkdtempSync(join(tmpdir(), 'hwq-bundle-'));
  test.after(() => rmSync(elsewhere, { recursive: true, force: true }));

  test('bundle/hwq.js is an executable script with a node shebang', () => {
    assert.ok(readFileSync(BUNDLE, 'utf8').startsWith('#!/usr/bin/env node\n'), 'shebang');
    assert.ok((statSync(BUNDLE).mode & 0o111) !== 0, 'executable bit');
  });

  test('sim resnet18 --a4w4 --json: bundle run from another directory equals the unbundled CLI', async () => {
    const args = ['sim', 'resnet18', '--a4w4', '--json'];
    const [bundled, plain] = await Promise.all([
      run(BUNDLE, args, elsewhere, false),
      run(join(REPO_ROOT, 'bin', 'hwq.js'), args, REPO_ROOT, true),
    ]);
    assert.is(plain.code, 0, plain.stderr);
    assert.is(bundled.code, 0, `${STALE}\n${bundled.stderr}`);
    const b = JSON.parse(bundled.stdout);
    const p = JSON.parse(plain.stdout);
    assert.is(b.totalCycles, p.totalCycles, STALE);
    assert.is(b.macs, 1814073344);
    assert.equal(b, p, STALE);
  });

  // vega is the part most likely to break when bundled (optional canvas backend removed by finish-bundle).
  test('bundled sweep renders the SVG chart and the CSV', async () => {
    const r = await run(BUNDLE, ['sweep', 'resnet18', '--precisions', 'a8w8,a4w4', '--configs', 'vc709', '--out', 'out'], elsewhere, true);
    assert.is(r.code, 0, r.stderr);
    assert.ok(readFileSync(join(elsewhere, 'out', 'sweep.svg'), 'utf8').startsWith('<svg'), 'svg');
    const csv = readFileSync(join(elsewhere, 'out', 'sweep.csv'), 'utf8').trim().split('\n');
    assert.is(csv.length, 3);
    assert.match(csv[1], /^resnet18,vc709,8,8,a8w8,/);
  });

  // mathjs is loaded on the first value with units, through a require the bundler has to follow
  test('bundled config show reads a config with units', async () => {
    writeFileSync(join(elsewhere, 'units.json'), JSON.stringify({ base: 'vc709', wbuf: { bytes: '64 KiB' }, dram: { bitsPerCycle: '1600 MT/s * 64 bit' } }));
    const r = await run(BUNDLE, ['config', 'show', 'units.json', '--json'], elsewhere, true);
    assert.is(r.code, 0, `${STALE}\n${r.stderr}`);
    const cfg = JSON.parse(r.stdout);
    assert.equal([cfg.wbuf.bytes, cfg.dram.bitsPerCycle], [65536, 512]);
  });

  test('bundle keeps the user-error contract: exit 2, one line, no stack trace', async () => {
    const r = await run(BUNDLE, ['sim', 'no-such-net'], elsewhere, true);
    assert.is(r.code, 2, r.stderr);
    assert.not.ok(r.stderr.includes('    at '), r.stderr);
    assert.match(r.stderr, /^hwq: unknown model 'no-such-net': .*resnet18.*\n$/);
  });
}

test.run();
