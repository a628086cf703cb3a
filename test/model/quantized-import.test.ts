// Importing models onnxruntime has already quantized (QOperator and dynamic forms) and 1-D convolutional
// networks: the layers, shapes and MACs are those of the equivalent float (or 2-D) network, and each layer's
// precision comes from the integer types in the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importOnnxModel } from '../../src/model/onnx-import.js';
import { type Network, computeLayers, layerMacs } from '../../src/model/ir.js';
import { asFloat, asQdq, quantizedFormat } from '../../src/onnx/dequantize-model.js';
import { conv1dAs2d, hasConv1d } from '../../src/onnx/conv1d.js';
import { GraphView } from '../../src/onnx/graph.js';
import { DataType, floatTensor, makeTensor, tensorToProto } from '../../src/onnx/tensor.js';
import { makeNode } from '../../src/onnx/build.js';
import { conv1dAs2dNet, conv1dNet, convTranspose1dNet, dynamicTwin, floatTwin, qoperatorTwin, quantizeRows, ramp } from '../compat/qmodels.js';

/** The layers without the precision a quantized file states: what must equal the float network's. */
const shapeOf = (net: Network) => net.layers.map(({ precision, ...l }) => ({ ...l, macs: layerMacs(l) }));

const float = importOnnxModel(floatTwin(), 'twin');

test('a QOperator model imports to the float layers, each at the bits its integer types state', () => {
  const q = importOnnxModel(qoperatorTwin(), 'twin');
  assert.equal(shapeOf(q), shapeOf(float));
  assert.equal(q.input, float.input);
  assert.equal(computeLayers(q).map((l) => l.precision), [{ a: 8, w: 8 }, { a: 8, w: 8 }, { a: 8, w: 8 }]);
  assert.equal(q.quantized, { format: 'QOperator', dynamicActivations: false });
  assert.is(float.quantized, undefined);
});

test('int4 weights in QLinearConv give 4-bit weight precision; the int8 MatMul stays at 8', () => {
  const q = importOnnxModel(qoperatorTwin({ weightType: DataType.INT4 }), 'twin');
  assert.equal(shapeOf(q), shapeOf(float));
  assert.equal(computeLayers(q).map((l) => l.precision), [{ a: 8, w: 4 }, { a: 8, w: 4 }, { a: 8, w: 8 }]);
});

test('a dynamic model (DynamicQuantizeLinear + ConvInteger/MatMulInteger) is A8W8 with activations quantized at run time', () => {
  const d = importOnnxModel(dynamicTwin(), 'twin');
  assert.equal(shapeOf(d), shapeOf(float));
  assert.equal(computeLayers(d).map((l) => l.precision), [{ a: 8, w: 8 }, { a: 8, w: 8 }, { a: 8, w: 8 }]);
  assert.equal(d.quantized, { format: 'dynamic', dynamicActivations: true });
});

test('quantizedFormat tells the three forms and float apart', () => {
  assert.is(quantizedFormat(floatTwin()), undefined);
  assert.is(quantizedFormat(qoperatorTwin()), 'QOperator');
  assert.is(quantizedFormat(dynamicTwin()), 'dynamic');
  assert.is(quantizedFormat(asQdq(qoperatorTwin(), 'twin')), 'QDQ');
});

test('asFloat: the weights are the integers times their scales, exactly, and no quantization is left', () => {
  const m = asFloat(qoperatorTwin(), 'twin');
  const g = new GraphView(m);
  assert.equal(g.nodes.map((n) => n.opType), ['Conv', 'Relu', 'Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'MatMul', 'Add']);
  const conv1 = g.nodes[0];
  assert.is(conv1.name, 'conv1');
  const w = g.initializer(conv1.inputs[1])!;
  assert.is(w.dataType, DataType.FLOAT);
  const { q, scales } = quantizeRows(ramp(216, 37), 8, 127);
  assert.equal(Array.from(w.data), q.map((v, i) => Math.fround(v * Math.fround(scales[Math.floor(i / 27)]))));
  assert.equal(g.inputs.map((i) => i.name), ['x']);
  const d = new GraphView(asFloat(dynamicTwin(), 'twin'));
  assert.not.ok(d.nodes.some((n) => /Quantize|Integer|Cast/.test(n.opType)), d.nodes.map((n) => n.opType).join());
});

test('Conv1d and 1-D pools import as the 2-D network they are (height 1), input C x 1 x L', () => {
  const one = importOnnxModel(conv1dNet(), 'net');
  const two = importOnnxModel(conv1dAs2dNet(), 'net');
  assert.equal(shapeOf(one), shapeOf(two));
  assert.equal(one.input, { c: 4, h: 1, w: 64 });
  assert.equal(one.input, two.input);
  assert.equal(one.layers.map((l) => l.kind), ['conv', 'pool', 'conv', 'pool', 'fc']);
  const conv2 = one.layers[2];
  assert.ok(conv2.kind === 'conv' && conv2.activation === 'relu', 'the ReLU after the Squeeze is the conv\'s');
});

test('Conv1d at opset 11 (Squeeze/Unsqueeze axes as attributes) imports the same', () => {
  assert.equal(shapeOf(importOnnxModel(conv1dNet({ opset: 11 }), 'net')), shapeOf(importOnnxModel(conv1dAs2dNet(), 'net')));
});

test('conv1dAs2d keeps node names and leaves 2-D models alone', () => {
  assert.ok(hasConv1d(conv1dNet()));
  assert.not.ok(hasConv1d(conv1dAs2dNet()));
  assert.not.ok(hasConv1d(floatTwin()));
  const g = new GraphView(conv1dAs2d(conv1dNet()));
  assert.equal(g.nodes.filter((n) => n.opType === 'Conv').map((n) => [n.name, g.initializerDims(n.inputs[1])]), [['conv1', [8, 4, 1, 5]], ['conv2', [8, 8, 1, 3]]]);
  assert.not.ok(hasConv1d(g.model));
});

test('a QDQ Conv1d keeps its weight DequantizeLinear next to the 2-D Conv, so the layer keeps its bits', () => {
  const m = conv1dNet();
  const g = m.graph!;
  const w1 = g.initializer!.find((t) => t.name === 'w1')!;
  g.initializer!.push(tensorToProto('w1q', makeTensor(DataType.INT4, [8, 4, 5], ramp(160, 37).map((v) => Math.round(v * 14)))));
  g.initializer!.push(tensorToProto('w1s', floatTensor([], [1 / 14])), tensorToProto('xs', floatTensor([], [0.02])));
  g.initializer!.push(tensorToProto('xz', makeTensor(DataType.UINT8, [], [128])));
  g.initializer = g.initializer!.filter((t) => t !== w1);
  g.node!.unshift(
    makeNode({ op: 'QuantizeLinear', name: 'xq', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] }),
    makeNode({ op: 'DequantizeLinear', name: 'xdq', inputs: ['xq', 'xs', 'xz'], outputs: ['xd'] }),
    makeNode({ op: 'DequantizeLinear', name: 'wdq', inputs: ['w1q', 'w1s'], outputs: ['w1'] }),
  );
  g.node!.find((n) => n.name === 'conv1')!.input![0] = 'xd';
  m.opsetImport[0].version = 21;
  const net = importOnnxModel(m, 'net');
  const conv1 = net.layers[0];
  assert.ok(conv1.kind === 'conv');
  assert.equal([conv1.kernel, conv1.precision], [[1, 5], { a: 8, w: 4 }]);
  assert.equal(net.input, { c: 4, h: 1, w: 64 });
});

test('a ConvTranspose after a Conv1d is still refused, with the reason and the layer', () => {
  assert.throws(() => importOnnxModel(convTranspose1dNet(), 'net'), (e: Error) => /'ConvTranspose' \(node 'dec'\) is a transposed convolution/.test(e.message));
});

test('a ConvInteger outside the dynamic pattern is refused naming the node and the pattern', () => {
  const m = dynamicTwin();
  // Cut the Cast: the integer output goes straight to the scale Mul.
  const g = m.graph!;
  const cast = g.node!.find((n) => n.name === 'conv1_cast')!;
  cast.opType = 'Identity';
  cast.attribute = [];
  assert.throws(() => importOnnxModel(m, 'net', 'dyn.onnx'), (e: Error) => /^dyn\.onnx: node 'conv1' \(ConvInteger\): .*Cast/.test(e.message));
});

test.run();
