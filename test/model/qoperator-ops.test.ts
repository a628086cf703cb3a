// The QOperator ops beyond QLinearConv/QLinearMatMul that onnxruntime's static quantizer writes (com.microsoft
// QLinearAdd, QLinearConcat, QLinearAveragePool, QLinearSigmoid, QGemm): their QDQ rewrite computes what the
// integer graph computes, in onnxruntime, and imports to the layers of the float graph.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { GraphView } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { asFloat, asQdq } from '../../src/onnx/dequantize-model.js';
import { importOnnxModel } from '../../src/model/onnx-import.js';
import { DataType, floatTensor, makeTensor } from '../../src/onnx/tensor.js';
import { ramp } from '../compat/qmodels.js';

const u8 = (v: number) => makeTensor(DataType.UINT8, [], [v]);
const MS = 'com.microsoft';

/** Q -> QLinearConv -> QLinearAdd(itself) -> QLinearSigmoid -> QLinearConcat(with the conv) -> QLinearAveragePool -> Flatten -> QGemm -> DQ. */
function model() {
  const m = buildModel({
    inputs: [{ name: 'x', dims: [1, 2, 6, 6] }], outputs: [{ name: 'y', dims: [1, 3] }],
    nodes: [
      { op: 'QuantizeLinear', name: 'q', inputs: ['x', 's', 'z'], outputs: ['xq'] },
      { op: 'QLinearConv', name: 'conv', inputs: ['xq', 's', 'z', 'w', 'ws', 'wz', 's', 'z', 'b'], outputs: ['cq'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'QLinearAdd', name: 'add', domain: MS, inputs: ['cq', 's', 'z', 'cq', 's', 'z', 's2', 'z'], outputs: ['aq'] },
      { op: 'QLinearSigmoid', name: 'sig', domain: MS, inputs: ['aq', 's2', 'z', 's3', 'z0'], outputs: ['gq'] },
      { op: 'QLinearConcat', name: 'cat', domain: MS, inputs: ['s', 'z', 'gq', 's3', 'z0', 'cq', 's', 'z'], outputs: ['kq'], attrs: { axis: attr.int(1) } },
      { op: 'QLinearAveragePool', name: 'pool', domain: MS, inputs: ['kq', 's', 'z', 's', 'z'], outputs: ['pq'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
      { op: 'Flatten', name: 'flat', inputs: ['pq'], outputs: ['fq'] },
      { op: 'QGemm', name: 'fc', domain: MS, inputs: ['fq', 's', 'z', 'fw', 'fs', 'fz', 'fb', 's', 'z'], outputs: ['yq'], attrs: { transB: attr.int(1) } },
      { op: 'DequantizeLinear', name: 'dq', inputs: ['yq', 's', 'z'], outputs: ['y'] },
    ],
    initializers: {
      s: floatTensor([], [0.05]), z: u8(128), s2: floatTensor([], [0.1]), s3: floatTensor([], [1 / 256]), z0: u8(0),
      w: makeTensor(DataType.INT8, [4, 2, 3, 3], ramp(72, 7).map((v) => Math.round(v * 100))), ws: floatTensor([4], [0.01, 0.02, 0.015, 0.01]),
      wz: makeTensor(DataType.INT8, [4], [0, 0, 0, 0]), b: makeTensor(DataType.INT32, [4], [10, -20, 30, 0]),
      fw: makeTensor(DataType.INT8, [3, 72], ramp(216, 5).map((v) => Math.round(v * 100))), fs: floatTensor([], [0.01]), fz: makeTensor(DataType.INT8, [], [0]),
      fb: makeTensor(DataType.INT32, [3], [5, -5, 0]),
    },
  });
  m.opsetImport.push({ domain: MS, version: 1 });
  return m;
}

async function run(bytes: Uint8Array): Promise<number[]> {
  const s = await openModel(bytes);
  try {
    const x = { dims: [1, 2, 6, 6], data: new Float32Array(72).map((_, i) => Math.sin(i)) };
    return Array.from((await s.run({ x })).get('y')!.data as Float32Array);
  } finally {
    await s.release();
  }
}

test('the QDQ rewrite of com.microsoft QLinear ops and QGemm computes what they compute', async () => {
  const direct = await run(encodeModel(model()));
  const qdq = await run(encodeModel(asQdq(model(), 'm')));
  // onnxruntime's integer kernels and DequantizeLinear -> float op -> QuantizeLinear may round one value differently
  qdq.forEach((v, i) => assert.ok(Math.abs(v - direct[i]) <= 0.05 + 1e-6, `output ${i}: ${v} vs ${direct[i]}`));
  const ops = new GraphView(asFloat(model(), 'm')).nodes.map((n) => n.opType);
  assert.equal(ops, ['Conv', 'Add', 'Sigmoid', 'Concat', 'AveragePool', 'Flatten', 'Gemm']);
});

test('the rewritten graph imports to conv, add, pool and fc layers at 8 bits', () => {
  const net = importOnnxModel(model(), 'm');
  assert.equal(net.layers.map((l) => [l.name, l.kind]), [['conv', 'conv'], ['add', 'add'], ['pool', 'pool'], ['fc', 'fc']]);
  assert.equal(net.layers.filter((l) => l.precision).map((l) => l.precision), [{ a: 8, w: 8 }, { a: 8, w: 8 }]);
});

test.run();
