// Calibration recovers a board it did not see: per-layer latencies simulated on a config with hidden board
// timing, each with 2% seeded noise, are fitted back to the hidden values within twice their reported sigma.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPreset } from '../../hw/presets.js';
import { getNetwork } from '../../src/model/zoo.js';
import { mulberry32 } from '../../src/random.js';
import { calibrate, simulateRun, withBoard } from '../../src/calibrate/board-fit.js';
import type { Measurement } from '../../src/calibrate/measurements.js';

const base = getPreset('bitfusion-asic')!;
const HIDDEN = [0.8, 0.7, 5000, 50, 20];

function measured(specs: Array<[string, string, number]>, perLayer: boolean, seed: number): Measurement[] {
  const hidden = withBoard(base, HIDDEN);
  const rnd = mulberry32(seed);
  // Box-Muller: a normal deviate from two uniform ones
  const noise = () => 0.02 * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const runs: Measurement[] = [];
  for (const [network, precision, batch] of specs) {
    const m = { network, net: getNetwork(network), precision, batch };
    const r = simulateRun(m, hidden);
    const rows = perLayer ? r.layers.map((l) => ({ layer: l.name, ms: l.totalCycles / (hidden.clockMHz * 1e3) })) : [{ layer: undefined, ms: r.latencyMs }];
    for (const { layer, ms } of rows) runs.push({ ...m, line: runs.length + 2, layer, latencyMs: ms * (1 + noise()) });
  }
  return runs;
}

test('per-layer measurements with 2% noise give back every hidden board parameter within 2 sigma', () => {
  const runs = measured([['bf-lenet5', 'a8w8', 1], ['bf-lenet5', 'a2w2', 4], ['bf-svhn', 'a4w4', 1], ['bf-svhn', 'a8w8', 2]], true, 11);
  const c = calibrate(base, runs, false);
  c.params.forEach((p, j) => {
    assert.is(p.status.kind, 'fitted', p.path);
    assert.ok(p.sigma !== undefined && p.sigma > 0, `${p.path}: sigma ${p.sigma}`);
    assert.ok(Math.abs(p.value - HIDDEN[j]) <= 2 * p.sigma!, `${p.path}: ${p.value} +- ${p.sigma}, hidden ${HIDDEN[j]}`);
  });
  // the fitted model is within the noise of every run, where the ideal array was far off
  const worst = Math.max(...c.runs.map((r) => Math.abs(r.residual)));
  assert.ok(worst < 0.07, `worst residual ${worst}`);
  assert.ok(c.runs.some((r) => Math.abs(r.before / r.measurement.latencyMs - 1) > 0.3));
});

test('one measurement fits one parameter and says which it holds and why', () => {
  const runs = measured([['bf-lenet5', 'a8w8', 1]], false, 3);
  const c = calibrate(base, runs);
  assert.equal(c.params.map((p) => p.status.kind), ['fitted', 'too-few', 'too-few', 'too-few', 'too-few']);
  assert.is(c.dof, 0);
  assert.is(c.params[0].sigma, undefined);
  assert.ok(Math.abs(c.runs[0].residual) < 1e-3, String(c.runs[0].residual));
  assert.is(c.runs[0].leaveOneOut, undefined);
});

test('a board faster than the ideal array leaves every parameter at its bound', () => {
  const runs = measured([['bf-lenet5', 'a8w8', 1], ['bf-lenet5', 'a4w4', 1]], false, 5).map((m) => ({ ...m, latencyMs: m.latencyMs / 10 }));
  const c = calibrate(base, runs, false);
  for (const p of c.params) assert.ok(p.status.kind === 'bound' || p.status.kind === 'collinear' || p.status.kind === 'too-few', `${p.path} ${p.status.kind}`);
  assert.equal(c.params.map((p) => p.value), [1, 1, 0, 0, 0]);
});

test.run();
