// The output-error activation clip (omse): the energy of the weights reading each input channel, the
// channel-weighted histogram, and the clip following the channels whose weights matter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActStatsCollector } from '../../src/quant/act-stats.js';
import { actQuantizers, channelEnergyFor, inputChannelEnergy } from '../../src/quant/methods.js';
import { rng } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { buildModel } from '../../src/onnx/build.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { quantizeModel } from '../../src/quant/quantize.js';

const omse = actQuantizers({ p: 2 }).find((m) => m.name === 'omse')!;
const mse = actQuantizers({ p: 2 }).find((m) => m.name === 'mse')!;

test('input-channel energy of ordinary, grouped and depthwise convs and of both 2-D layouts', () => {
  // conv [2 out][2 in][1x2]: w = 1..8; channel c gets the squares of w[o][c][*] over o
  const w = (j: number) => j + 1;
  assert.equal(Array.from(inputChannelEnergy('conv', [2, 2, 1, 2], 0, 2, w)), [1 + 4 + 25 + 36, 9 + 16 + 49 + 64]);
  // 2 groups of 1 input channel and 1 output channel each (depthwise): channel c is output c's kernel
  assert.equal(Array.from(inputChannelEnergy('conv', [2, 1, 1, 2], 0, 2, w)), [1 + 4, 9 + 16]);
  // 2 groups, 2 input channels and 1 output channel each: [2 out][2 in/group][1x1]
  assert.equal(Array.from(inputChannelEnergy('conv', [2, 2, 1, 1], 0, 4, w)), [1, 4, 9, 16]);
  // 2-D [out 2][in 3] (axis 0) and [in 3][out 2] (axis 1)
  assert.equal(Array.from(inputChannelEnergy('fc', [2, 3], 0, 3, w)), [1 + 16, 4 + 25, 9 + 36]);
  assert.equal(Array.from(inputChannelEnergy('fc', [3, 2], 1, 3, w)), [1 + 4, 9 + 16, 25 + 36]);
});

/** Statistics of a [N, 2, 4, 4] tensor: channel 0 small (|x| < 1), channel 1 with rare outliers up to 20. */
function twoChannels() {
  const r = rng(3);
  const c = new ActStatsCollector(1 << 16, 4, 4096);
  for (let b = 0; b < 4; b++) {
    const v = new Float32Array(8 * 2 * 16);
    for (let n = 0; n < 8; n++) for (let k = 0; k < 16; k++) {
      v[(n * 2) * 16 + k] = r();
      v[(n * 2 + 1) * 16 + k] = r() < 0.05 ? 20 * r() : r();
    }
    c.add(v, [8, 2, 4, 4]);
  }
  return c.result();
}

test('omse follows the channels that matter: outliers read by zero weights are clipped away, read by large ones kept', () => {
  const st = twoChannels();
  const site = { kind: 'conv' as const, weightShape: [1, 2, 1, 1], channelAxis: 0 };
  const ignoreOutliers = omse.clip(st, 4, false, channelEnergyFor(site, st, (j) => [1, 0][j]));
  const onlyOutliers = omse.clip(st, 4, false, channelEnergyFor(site, st, (j) => [0, 1][j]));
  const plain = mse.clip(st, 4, false);
  assert.ok(ignoreOutliers <= 1.05, `clip ${ignoreOutliers}: channel 0 never exceeds 1`);
  assert.ok(onlyOutliers > plain, `clip ${onlyOutliers} for the outlier channel alone, mse over both ${plain}`);
  assert.ok(plain > ignoreOutliers);
  // equal energies give the plain MSE clip up to the histogram resolution
  const equal = omse.clip(st, 4, false, channelEnergyFor(site, st, () => 1));
  assert.ok(Math.abs(equal - plain) < 0.05 * plain, `equal energies: ${equal} against mse ${plain}`);
});

test('omse falls back to mse when the statistics have no channels matching the weights', () => {
  const st = twoChannels();
  assert.is(channelEnergyFor({ kind: 'fc', weightShape: [5, 3], channelAxis: 0 }, st, () => 1), undefined);
  assert.is(omse.clip(st, 4, false, undefined), mse.clip(st, 4, false));
});

// conv1 (2 -> 2 channels, channel 1 ten times larger) -> Relu -> conv2 1x1 that ignores channel 1
const C = 2, H = 4;
const model = buildModel({
  inputs: [{ name: 'x', dims: ['N', C, H, H] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1'], outputs: ['c1'] },
    { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2'], outputs: ['y'] },
  ],
  initializers: { w1: floatTensor([C, C, 1, 1], [1, 0.5, 10, -5]), w2: floatTensor([3, C, 1, 1], [1, 0, -1, 0, 0.5, 0]) },
});
const batches: Batch[] = [0, 1].map((k) => ({ start: 4 * k, count: 4, data: Float32Array.from({ length: 4 * C * H * H }, rng(9 + k)), labels: new Int32Array(4) }));

test('quantizeModel with omse clips: the second layer ignores the large channel, before and after a Bit-split fit', async () => {
  for (const [weightMethod, actFit] of [['tflite', undefined], ['bitsplit', 'after']] as const) {
    const run = (actMethod: string) => quantizeModel(model, 'm', 'm', {
      aBits: 4, wBits: 4, firstLast: null, weightMethod, actMethod, methodOptions: { p: 2 },
      calibration: { batches: async function* () { yield* batches; }, count: 2, inputDims: (b) => [b.count, C, H, H] },
      reconstruction: { positions: 200, floatInputs: false, seed: 1, actFit },
    });
    const [withMse, withOmse] = [await run('mse'), await run('omse')];
    const clip = (r: typeof withMse) => r.report[1].aClip!;
    // channel 0 of r1 stays below 1.5 (x in [0, 1)); channel 1 reaches 10
    assert.ok(clip(withOmse) < 1.6, `${weightMethod}: omse clip ${clip(withOmse)}`);
    assert.ok(clip(withMse) > 2 * clip(withOmse), `${weightMethod}: mse clip ${clip(withMse)}`);
  }
});

test.run();
