// examples/sweep-api.mjs, the README's "From your own code" example: it runs through the package's own name
// ('hwq', resolved by its exports), prints the sweep the API computes, and type-checks against the shipped
// declaration files as a user's editor would check it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';
import { runFile } from '../cli/run-hwq.js';
import { getNetwork, loadConfig, runSimulation, runSweep } from '../../src/index.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'sweep-api.mjs');

test('the example prints ResNet-18 at a8w8 and a4w4 on two presets, as runSweep computes them', async () => {
  const r = await runFile(EXAMPLE, [], REPO_ROOT);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
  assert.equal(lines[0], ['config', 'precision', 'cycles', 'latency ms', 'speedup', 'energy uJ']);
  const spec = { networks: [getNetwork('resnet18')], configs: ['vc709', 'bitfusion-asic'].map(loadConfig), arrays: [], precisions: [{ a: 8, w: 8 }, { a: 4, w: 4 }], batch: 1, base: {} };
  const points = runSweep(spec, (net, cfg, popts) => runSimulation(net, cfg, 'cycle', 1, popts));
  assert.equal(lines.slice(1).map((l) => l.slice(0, 3)), points.map((p) => [p.config, p.precision, p.totalCycles.toLocaleString('en-US')]));
});

test('the example type-checks against the declaration files the package exports', async () => {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await runFile(tsc, [
    '--noEmit', '--allowJs', '--checkJs', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck',
    EXAMPLE,
  ], REPO_ROOT);
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test.run();
