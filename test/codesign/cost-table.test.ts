import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { candidateGrid, costTable, mixCost, packedWeightBytes } from '../../src/codesign/cost-table.js';
import { getPreset } from '../../hw/presets.js';
import { getNetwork } from '../../src/model/zoo.js';
import { computeLayers } from '../../src/model/ir.js';
import { simulateNetwork } from '../../sim/simulate.js';
import { mulberry32 } from '../../src/random.js';
import { hwq } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';

const net = getNetwork('bf-cifar10');
const grid = candidateGrid();

test('nine candidates: every pair of 2, 4 and 8 bits', () => {
  assert.is(grid.length, 9);
  assert.equal(grid.slice(0, 3), [{ a: 2, w: 2 }, { a: 2, w: 4 }, { a: 2, w: 8 }]);
});

for (const preset of ['bitfusion-8x8', 'vc709']) {
  test(`a mix's cost is the sum of its layers' entries: the cycle model of the whole mix on ${preset}`, () => {
    const cfg = getPreset(preset)!;
    const table = costTable(net, cfg, () => grid, 2);
    const rnd = mulberry32(7);
    for (let trial = 0; trial < 5; trial++) {
      const choice = table.layers.map(() => Math.floor(rnd() * grid.length));
      const sim = simulateNetwork(net, cfg, { batch: 2, precisionLabel: 'mixed', precisionOf: (_, i) => grid[choice[i]] });
      assert.is(table.layers.reduce((s, l, i) => s + l.costs[choice[i]].cycles, 0), sim.totalCycles);
      assert.ok(Math.abs(mixCost(table, choice, 'latency') - sim.latencyMs) <= 1e-9 * sim.latencyMs);
      assert.ok(Math.abs(mixCost(table, choice, 'energy') - sim.energyUJ) <= 1e-9 * sim.energyUJ);
    }
  });
}

test('the table agrees with `hwq sim --layer-precisions` of the same mix', async () => {
  const cfg = getPreset('bitfusion-8x8')!;
  const table = costTable(net, cfg, () => grid);
  const choice = table.layers.map((_, i) => (i * 4) % grid.length);
  const dir = tempDir('cost-table-');
  const file = join(dir, 'mix.json');
  writeFileSync(file, JSON.stringify(Object.fromEntries(table.layers.map((l, i) => [l.name, `a${grid[choice[i]].a}w${grid[choice[i]].w}`]))));
  const r = await hwq('sim', 'bf-cifar10', '--config', 'bitfusion-8x8', '--layer-precisions', file, '--json');
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.totalCycles, table.layers.reduce((s, l, i) => s + l.costs[choice[i]].cycles, 0));
});

test('packed weight bytes: weights at their width, biases at 32 bits', () => {
  const conv = computeLayers(net).find((l) => l.kind === 'conv')!;
  const fc = computeLayers(net).find((l) => l.kind === 'fc')!;
  assert.ok(conv.kind === 'conv' && fc.kind === 'fc');
  if (conv.kind !== 'conv' || fc.kind !== 'fc') return;
  const weights = conv.outC * (conv.inC / conv.groups) * conv.kernel[0] * conv.kernel[1];
  assert.is(packedWeightBytes(conv, 2), Math.ceil(weights / 4) + (conv.bias ? 4 * conv.outC : 0));
  assert.is(packedWeightBytes(fc, 8), fc.inFeatures * fc.outFeatures + (fc.bias ? 4 * fc.outFeatures : 0));
});

test.run();
