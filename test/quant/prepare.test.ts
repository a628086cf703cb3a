import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel } from '../../src/onnx/build.js';
import { attr } from '../../src/onnx/attr.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { openModel } from '../../src/onnx/run.js';
import { prepareModel } from '../../src/quant/prepare.js';
import { rng } from '../helpers.js';

const r = rng(5);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

function convBnNet() {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 6, 6] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'BatchNormalization', inputs: ['c1', 'g', 'b', 'm', 'v'], outputs: ['bn1'], attrs: { epsilon: attr.float(1e-3) } },
      { op: 'Relu', inputs: ['bn1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { group: attr.int(4) } },
      { op: 'MaxPool', inputs: ['c2'], outputs: ['p'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w3', 'b3'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w1: floatTensor([4, 3, 3, 3], rand(108)), g: floatTensor([4], [1, 0.5, 2, -1]), b: floatTensor([4], [0.1, -0.2, 0.3, 0]),
      m: floatTensor([4], [0.2, 0.1, -0.3, 0.5]), v: floatTensor([4], [1, 2, 0.5, 0.25]),
      w2: floatTensor([4, 1, 1, 1], [1, -2, 0.5, 3]), b2: floatTensor([4], [0, 0, 1, -1]),
      w3: floatTensor([5, 36], rand(180)), b3: floatTensor([5], rand(5)),
    },
  });
}

test('prepare: folds BatchNorm into the conv (same outputs in onnxruntime), names nodes, finds the layers', async () => {
  const model = convBnNet();
  const p = prepareModel(model, 'test model');
  assert.is(p.foldedBatchNorms, 1);
  assert.ok(!(p.model.graph!.node ?? []).some((n) => n.opType === 'BatchNormalization'));
  assert.equal(p.layers.map((l) => [l.name, l.kind, l.channelAxis, l.unsignedInput]), [
    ['Conv_0', 'conv', 0, false], ['Conv_3', 'conv', 0, true], ['Gemm_6', 'fc', 0, false],
  ]);
  assert.equal(p.layers[0].weightShape, [4, 3, 3, 3]);
  assert.ok(p.layers[0].bias, 'folded conv has a bias');
  const x = rand(108, 2);
  const a = await openModel(encodeModel(model));
  const b = await openModel(encodeModel(p.model));
  const ya = (await a.run({ x: { dims: [1, 3, 6, 6], data: x } })).get('y')!.data as Float32Array;
  const yb = (await b.run({ x: { dims: [1, 3, 6, 6], data: x } })).get('y')!.data as Float32Array;
  for (let i = 0; i < ya.length; i++) assert.ok(Math.abs(ya[i] - yb[i]) < 1e-4 * (1 + Math.abs(ya[i])), `y[${i}] ${ya[i]} vs ${yb[i]}`);
  // the input model is not modified
  assert.ok((model.graph!.node ?? []).some((n) => n.opType === 'BatchNormalization'));
});

test('prepare: a model with no constant-weight layer is refused by name', () => {
  const m = buildModel({ inputs: [{ name: 'x', dims: [1, 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  assert.throws(() => prepareModel(m, 'relu.onnx'), /relu\.onnx has no quantizable layer/);
});

test.run();
