// The cycle model honors a board's timing (hw/config.ts `board`): the array's sustained rate divides compute,
// fixed cycles are added per layer and per tile, and every DRAM transfer pays the latency.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BOARD_DEFAULTS, BoardConfig, HwConfig } from '../../hw/config.js';
import { getPreset } from '../../hw/presets.js';
import { simulateNetwork } from '../../sim/simulate.js';
import { getNetwork } from '../../src/model/zoo.js';

const net = getNetwork('bf-lenet5');
const base = getPreset('bitfusion-asic')!;
const run = (board: Partial<BoardConfig>) => {
  const cfg: HwConfig = { ...base, board: { ...BOARD_DEFAULTS, ...board } };
  return simulateNetwork(net, cfg, { batch: 2, precisionOf: () => ({ a: 8, w: 8 }), precisionLabel: 'a8w8' });
};
const ideal = run({});

test('the defaults are the ideal array', () => {
  const none = simulateNetwork(net, base, { batch: 2, precisionOf: () => ({ a: 8, w: 8 }), precisionLabel: 'a8w8' });
  assert.equal(ideal.layers.map((l) => l.totalCycles), none.layers.map((l) => l.totalCycles));
  assert.ok(ideal.layers.every((l) => l.overheadCycles === 0));
  assert.ok(none.layers.every((l) => l.overheadCycles === undefined));
});

test('a fixed cost per layer adds exactly that to every layer', () => {
  const r = run({ layerOverheadCycles: 1000 });
  r.layers.forEach((l, i) => {
    assert.is(l.totalCycles, ideal.layers[i].totalCycles + 1000, l.name);
    assert.is(l.overheadCycles, 1000);
  });
});

test('half the sustained rate doubles the compute cycles', () => {
  const r = run({ computeEfficiency: 0.5 });
  r.layers.forEach((l, i) => assert.ok(Math.abs(l.computeCycles - 2 * ideal.layers[i].computeCycles) <= 1, l.name));
  assert.ok(r.totalCycles - ideal.totalCycles >= 0.5 * ideal.computeCycles);
});

test('a fixed cost per tile is paid once per tile of the schedule', () => {
  const r = run({ tileOverheadCycles: 10 });
  r.layers.forEach((l, i) => {
    assert.ok(l.overheadCycles! > 0 && l.overheadCycles! % 10 === 0, `${l.name}: ${l.overheadCycles}`);
    // serial with the tile's compute: a layer waiting on DRAM may hide it, none gets faster
    assert.ok(l.totalCycles >= ideal.layers[i].totalCycles, l.name);
  });
  assert.ok(r.layers[0].totalCycles >= ideal.layers[0].totalCycles + r.layers[0].overheadCycles! / 2, 'conv0 is compute-bound');
});

test('DRAM latency is paid per transfer and holds the channel', () => {
  const r = run({ dramLatencyCycles: 500 });
  // every layer's first load waits for it before any compute can start
  r.layers.forEach((l, i) => assert.ok(l.totalCycles >= ideal.layers[i].totalCycles + 500, l.name));
  assert.is(r.layers[0].overheadCycles, 0);
});

test.run();
