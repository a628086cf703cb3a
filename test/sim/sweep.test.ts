import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArrays, runSweep, sweepPointCount } from '../../sim/sweep.js';
import { getPreset } from '../../hw/presets.js';
import { getNetwork } from '../../src/model/zoo.js';
import { planPrecisions } from '../../sim/precision.js';
import { simulateNetwork } from '../../sim/simulate.js';

test('parseArrays reads RxC lists and rejects anything else', () => {
  assert.equal(parseArrays('8x8, 16x32'), [[8, 8], [16, 32]]);
  assert.throws(() => parseArrays('8by8'), /array size '8by8' is not of the form <rows>x<cols>/);
  assert.throws(() => parseArrays('0x8'), /array size '0x8'/);
});

test('sweep: every point, speedups over the first precision of the same hardware', () => {
  const spec = {
    networks: [getNetwork('bf-lenet5')],
    configs: [getPreset('bitfusion-8x8')!, getPreset('vc709')!],
    arrays: [[4, 4], [8, 8]] as Array<[number, number]>,
    precisions: [{ a: 8, w: 8 }, { a: 4, w: 4 }, { a: 2, w: 2 }],
    batch: 1,
    base: {},
  };
  let calls = 0;
  const pts = runSweep(spec, (n, c, p) => {
    calls++;
    const plan = planPrecisions(n, p);
    return simulateNetwork(n, c, { batch: 1, precisionOf: plan.of, precisionLabel: plan.label });
  });
  assert.is(sweepPointCount(spec), 12);
  assert.is(pts.length, 12);
  assert.is(calls, 12);
  for (let i = 0; i < pts.length; i += 3) {
    assert.is(pts[i].speedup, 1);
    assert.ok(pts[i + 1].speedup > 1 && pts[i + 2].speedup > pts[i + 1].speedup, `${pts[i].config} ${pts[i].rows}x${pts[i].cols}`);
    assert.is(pts[i + 1].speedup, pts[i].totalCycles / pts[i + 1].totalCycles);
  }
  assert.equal(pts.map((p) => `${p.rows}x${p.cols}`).slice(0, 6), ['4x4', '4x4', '4x4', '8x8', '8x8', '8x8']);
  // a bigger array is faster for the same precision
  assert.ok(pts[3].totalCycles < pts[0].totalCycles);
});

test.run();
