import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel } from '../../src/onnx/build.js';
import { attr } from '../../src/onnx/attr.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { loadModel, type ModelProto } from '../../src/onnx/proto.js';
import { prepareModel } from '../../src/quant/prepare.js';
import { reconstructLayers } from '../../src/quant/reconstruct.js';
import { toChannels } from '../../src/quant/methods.js';
import type { Batch } from '../../src/data/batches.js';
import type { QuantModel } from '../../src/quant/types.js';
import { rng, withShared } from '../helpers.js';

const r = rng(17);
const rand = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);

/** Checks Y = X W^T (+0: bias removed) for every sampled row of every layer, with the float network's inputs. */
async function checkPatches(model: ModelProto, batches: Batch[], dims: (b: Batch) => number[], positions: number): Promise<number> {
  const prep = prepareModel(model, 'model');
  let rows = 0;
  await reconstructLayers({
    prepared: prep.model, sites: prep.layers, needStats: true, sampleCap: 1 << 12,
    calibration: { batches: async function* () { yield* batches; }, count: batches.length, inputDims: dims },
    rec: { positions, floatInputs: true, seed: 3 },
    quantizedSoFar: () => ({ layers: [], prepared: prep.model } as unknown as QuantModel),
    layer: async (_i, site, stats, data) => {
      assert.ok(stats && stats.count > 0);
      const { per, data: w } = toChannels(site.weights, site.weightShape, site.channelAxis);
      assert.is(per, data.D, `${site.name} D`);
      data.groups.forEach((g, gi) => {
        for (let n = 0; n < data.N; n++) {
          for (let o = 0; o < data.OC; o++) {
            let y = 0;
            const oc = gi * data.OC + o;
            for (let d = 0; d < data.D; d++) y += g.X[n * data.D + d] * w[oc * per + d];
            const want = g.Y[n * data.OC + o];
            if (Math.abs(y - want) > 1e-3 * (1 + Math.abs(want))) assert.unreachable(`${site.name} group ${gi} row ${n} channel ${o}: X.w = ${y}, y = ${want}`);
          }
        }
        rows += data.N;
      });
      return undefined;
    },
  });
  return rows;
}

test('sampled patches reproduce each layer\'s float output: padding, stride, dilation, groups, fc', async () => {
  const model = buildModel({
    inputs: [{ name: 'x', dims: ['N', 4, 9, 9] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 2, 1, 2]), strides: attr.ints([2, 1]) } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { group: attr.int(2), dilations: attr.ints([2, 2]), pads: attr.ints([2, 2, 2, 2]) } },
      { op: 'GlobalAveragePool', inputs: ['c2'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w3', 'b3'], outputs: ['y'], attrs: { transB: attr.int(0) } },
    ],
    initializers: {
      w1: floatTensor([6, 4, 3, 3], rand(216)), b1: floatTensor([6], rand(6)), w2: floatTensor([4, 3, 3, 3], rand(108)),
      w3: floatTensor([4, 3], rand(12)), b3: floatTensor([3], rand(3)),
    },
  });
  const batches: Batch[] = [0, 1, 2].map((k) => ({ start: k * 2, count: 2, data: rand(2 * 4 * 81), labels: new Int32Array(2) }));
  const rows = await checkPatches(model, batches, (b) => [b.count, 4, 9, 9], 40);
  // conv1: 40 positions; conv2: 2 groups x 40; fc: 6 images (fewer positions than asked -> all of them)
  assert.is(rows, 40 + 80 + 6);
});

withShared(test, 'ResNet-20: patches of every layer reproduce its outputs on real images', [['models', 'cifar10-resnet20.onnx']], async ([path]) => {
  const batches: Batch[] = [0, 1].map((k) => ({ start: 4 * k, count: 4, data: rand(4 * 3 * 32 * 32), labels: new Int32Array(4) }));
  const rows = await checkPatches(loadModel(path), batches, (b) => [b.count, 3, 32, 32], 200);
  assert.is(rows, 19 * 200 + 8);
});

test.run();
