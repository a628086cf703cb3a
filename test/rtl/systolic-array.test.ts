import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tileCycles } from '../../hw/array-timing.js';
import { getPreset } from '../../hw/presets.js';
import { referenceTile, runTile } from '../../hw/stepped-array.js';
import { generateRtl, sourcesOf } from '../../rtl/generate.js';
import { fusionUnitModuleNames } from '../../rtl/modules/fusion-unit.js';
import { lintVerilator } from '../../rtl/sim.js';
import { checkArray, compareTile, prng, randInt, tileSet } from '../../rtl/verify.js';
import { skipTest, withIcarus, withVerilator } from '../helpers.js';

const SIZES: Array<[number, number]> = [[2, 2], [4, 4], [8, 8]];
// A standalone 8x8 Verilator model costs about a minute of C++ compile; the 8x8 array is also built by
// Verilator inside bitfusion_core (test/rtl/core.test.ts, same tiles and checks), so the standalone 8x8
// Verilator run is opt-in (HWQ_RTL_FULL=1). Icarus runs every size here.
const FULL = process.env.HWQ_RTL_FULL === '1';

function designFor(rows: number, cols: number) {
  const cfg = getPreset('vc709')!;
  cfg.rows = rows;
  cfg.cols = cols;
  return generateRtl(cfg);
}

test('tile set: 36 mode x sign tiles plus extremes; the model agrees with plain dot products', () => {
  const tiles = tileSet(4, 4, 3);
  assert.is(tiles.length, 40);
  for (const t of tiles) assert.equal(Array.from(runTile(t).out), Array.from(referenceTile(t)));
  // the all-max unsigned 8x8 tile: 6 steps x 4 rows x 255 x 255
  assert.is(referenceTile(tiles[36])[0], 6 * 4 * 255 * 255);
});

test('compareTile catches a wrong value, a late write and a missing write', () => {
  const t = tileSet(2, 2, 9)[0];
  const run = runTile(t);
  const good = run.writes.map((w) => ({ cycle: w.cycle, col: w.col, value: run.out[w.m * t.cols + w.col] }));
  assert.is(compareTile(t, good, 'good'), undefined);
  assert.is(run.cycles, tileCycles(t.M * t.S, 2, 2));
  assert.match(compareTile(t, good.map((w, i) => (i === 0 ? { ...w, value: w.value + 1 } : w)), 'x') ?? '', /expected/);
  assert.match(compareTile(t, good.map((w, i) => (i === good.length - 1 ? { ...w, cycle: w.cycle + 1 } : w)), 'x') ?? '', /cycle/);
  assert.match(compareTile(t, good.slice(1), 'x') ?? '', /outputs written/);
});

for (const [R, C] of SIZES) {
  const design = designFor(R, C);
  const verilatorName = `systolic_array ${R}x${C}: lint clean; Verilator equals runTile bit for bit and to the cycle (40 tiles)`;
  if (R >= 8 && !FULL) skipTest(test, verilatorName, 'opt-in with HWQ_RTL_FULL=1 (core.test.ts covers the 8x8 array inside bitfusion_core)');
  else {
    withVerilator(test, verilatorName, () => {
      assert.is(lintVerilator(sourcesOf(design, [...fusionUnitModuleNames(), 'systolic_array']), 'systolic_array'), '');
      const r = checkArray(design, 'verilator', tileSet(R, C, 100 + R));
      assert.is(r.checked, 40);
      assert.is(r.mismatches, 0, r.first);
    });
  }
  withIcarus(test, `systolic_array ${R}x${C}: Icarus equals runTile bit for bit and to the cycle`, () => {
    const r = checkArray(design, 'icarus', tileSet(R, C, 200 + R, R >= 8 ? 2 : 3, R >= 8 ? 3 : 4).filter((_, i) => R < 8 || i % 2 === 0));
    assert.is(r.mismatches, 0, r.first);
  });
}

withIcarus(test, 'systolic_array 4x4: continuation tiles start each output from init_data (extreme and random partial sums), Icarus', () => {
  const design = designFor(4, 4);
  const r = prng(61);
  const tiles = tileSet(4, 4, 62).filter((_, i) => i % 4 === 0).map((t, i) => {
    const init = Int32Array.from({ length: t.M * t.cols }, () => randInt(r, -(2 ** 30), 2 ** 30));
    if (i === 0) init.fill(-(2 ** 31)); // the most negative partial sum
    return { ...t, init };
  });
  const res = checkArray(design, 'icarus', tiles);
  assert.is(res.checked, 10);
  assert.is(res.mismatches, 0, res.first);
});

test.run();
