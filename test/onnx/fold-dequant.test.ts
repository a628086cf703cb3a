import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { toQdqModel } from '../../src/quant/qdq.js';
import { foldWeightDequantization, runnableModel } from '../../src/onnx/fold-dequant.js';
import * as ort from '../../src/onnx/ort.js';
import { rng } from '../helpers.js';

test('folding the weight dequantization leaves the outputs of a weight-only QDQ model unchanged', async () => {
  const r = rng(9);
  const rand = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const model = buildModel({
    inputs: [{ name: 'x', dims: ['N', 2, 5, 5] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c'], outputs: ['h'] },
      { op: 'Flatten', inputs: ['h'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w2'], outputs: ['y'] },
    ],
    initializers: { w1: floatTensor([3, 2, 3, 3], rand(54)), b1: floatTensor([3], rand(3)), w2: floatTensor([75, 4], rand(300)) },
  });
  const { model: q } = await quantizeModel(model, 'm', 'm', { aBits: null, wBits: 4, firstLast: null, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2 } });
  const qdq = toQdqModel(q);
  const folded = foldWeightDequantization(qdq);
  assert.not.ok((folded.graph!.node ?? []).some((n) => n.opType === 'DequantizeLinear'), 'no weight DequantizeLinear left');
  const x = rand(3 * 2 * 25);
  // The QDQ graph as written (no optimization, onnxruntime's own API: openModel folds by itself), against the
  // folded one at full optimization.
  const s = await ort.InferenceSession.create(encodeModel(qdq), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const a = (await s.run({ x: new ort.Tensor('float32', x, [3, 2, 5, 5]) })).y.data as Float32Array;
  await s.release();
  const m = await openModel(encodeModel(folded), 1, 'all');
  const b = (await m.run({ x: { dims: [3, 2, 5, 5], data: x } })).get('y')!.data as Float32Array;
  await m.release();
  assert.equal(runnableModel(encodeModel(folded)).bytes.length, encodeModel(folded).length, 'nothing left to fold');
  assert.is(runnableModel(encodeModel(folded)).unoptimized, false, 'weight-only: no activation quantizers');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * (1 + Math.abs(a[i])), `y[${i}] ${a[i]} vs ${b[i]}`);
});

test.run();
