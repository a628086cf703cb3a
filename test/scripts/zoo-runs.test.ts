// The report drivers' job flags: make-reports' whole-network simulations as jobs give the figures of a direct
// simulation in the same order on one thread or two; bad --jobs/--queue/--cache values are one line, exit 2,
// before anything is written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers.js';
import { runFile } from '../cli/run-hwq.js';
import { getPreset } from '../../hw/presets.js';
import { getNetwork } from '../../src/model/zoo.js';
import { planPrecisions } from '../../sim/precision.js';
import { simulateNetwork } from '../../sim/simulate.js';
import { type ZooRun, zooRuns } from '../../scripts/zoo-runs.js';

const runs: ZooRun[] = [];
for (const net of ['bf-lenet5', 'bf-cifar10', 'alexnet']) {
  for (const cfg of ['bitfusion-8x8', 'vc709'].map((n) => getPreset(n)!)) {
    runs.push({ net, cfg, precision: undefined }, { net, cfg, precision: { a: 8, w: 8 } }, { net, cfg, precision: { a: 4, w: 2 } });
  }
}

test('zoo runs as jobs: one thread, two threads with a cache, and a direct simulation agree in order', async () => {
  const serial = await zooRuns(runs, { threads: 1 });
  const pooled = await zooRuns(runs, { threads: 2, cacheDir: tempDir('hwq-zoo-runs-') });
  assert.equal(pooled, serial);
  runs.forEach((r, i) => {
    const net = getNetwork(r.net);
    const plan = planPrecisions(net, { uniform: r.precision });
    const direct = simulateNetwork(net, r.cfg, { batch: 1, precisionOf: plan.of, precisionLabel: plan.label });
    assert.is(serial[i].totalCycles, direct.totalCycles, `${r.net} ${r.cfg.name}`);
    assert.is(serial[i].energyUJ, direct.energyUJ);
    assert.is(serial[i].precision, direct.precision);
  });
});

test('make-reports: bad job flags are one line and exit 2', async () => {
  const script = join(REPO_ROOT, 'dist', 'scripts', 'make-reports.js');
  const cases: Array<[string[], RegExp]> = [
    [['--jobs', '0'], /^make-reports: --jobs '0' must be an integer >= 1/],
    [['--queue', 'http://h:1'], /^make-reports: --queue 'http:\/\/h:1' is not a Redis URL: write redis:\/\/host:port/],
    [['--cache', ''], /^make-reports: --cache needs a folder/],
    [['--jobz', '2'], /^make-reports: Unknown argument: jobz/],
  ];
  for (const [args, re] of cases) {
    const r = await runFile(script, args, tempDir('hwq-make-reports-'));
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
