// A small network with a depthwise layer and its calibration images, for tests that run whole recipes.
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { rng } from '../helpers.js';

const r = rng(41);
const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * (r() * 2 - 1));

export const model = buildModel({
  inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', name: 'dw', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { pads: attr.ints([1, 1, 1, 1]), group: attr.int(6) } },
    { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
    { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['p'] },
    { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'w3', 'b3'], outputs: ['y'], attrs: { transB: attr.int(1) } },
  ],
  initializers: {
    w1: floatTensor([6, 3, 3, 3], rand(162, 0.5)), b1: floatTensor([6], rand(6, 0.1)), w2: floatTensor([6, 1, 3, 3], rand(54)),
    w3: floatTensor([5, 6], rand(30)), b3: floatTensor([5], rand(5, 0.1)),
  },
});
export const images: Batch[] = [0, 1].map((k) => ({ start: 4 * k, count: 4, data: rand(4 * 3 * 64, 2), labels: new Int32Array(4) }));

/** The calibration images as a run's calibration. */
export const calibration = { batches: async function* (): AsyncGenerator<Batch> { yield* images; }, count: 2, inputDims: (b: Batch) => [b.count, 3, 8, 8] };
