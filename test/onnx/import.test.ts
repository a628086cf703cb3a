// ONNX -> IR on the real models (layer counts, exact MACs, every layer's output dims against onnxruntime)
// and on small graphs built in code for the folding and error rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng, withShared } from '../helpers.js';
import { UserError } from '../../src/errors.js';
import { type AddLayer, type ConvLayer, type FcLayer, type Layer, type MatMulLayer, type Network, type PoolLayer, computeLayers, layerMacs, networkMacs, networkParams } from '../../src/model/ir.js';
import { importOnnx } from '../../src/model/onnx-import.js';
import { IMPORT_OPS } from '../../src/model/onnx-ops.js';
import { SHAPE_OPS } from '../../src/onnx/shapes.js';
import { attr } from '../../src/onnx/attr.js';
import { type ModelSpec, type NodeSpec, buildModel } from '../../src/onnx/build.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { GraphView, nodeLabel } from '../../src/onnx/graph.js';
import { type ModelProto, encodeModel, loadModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { DataType, type Tensor, floatTensor, int64Tensor, makeTensor } from '../../src/onnx/tensor.js';

const r = rng(11);
const randn = (dims: number[]): Tensor => floatTensor(dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
const i64 = (v: number[]): Tensor => int64Tensor([v.length], v);
const imp = (spec: ModelSpec): Network => importOnnx(encodeModel(buildModel(spec)), 'test');
const layer = <T extends Layer>(net: Network, name: string): T => {
  const l = net.layers.find((x) => x.name === name);
  assert.ok(l, `layer ${name} exists`);
  return l as T;
};
const conv = (name: string, x: string, w: string, out: string, attrs: NodeSpec['attrs'] = {}, b?: string): NodeSpec => ({ op: 'Conv', name, inputs: b ? [x, w, b] : [x, w], outputs: [out], attrs });

function expectUserError(fn: () => unknown, ...patterns: RegExp[]): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError, String(e));
    for (const p of patterns) assert.match((e as Error).message, p);
    return;
  }
  assert.unreachable('expected a UserError');
}

/** Runs the model with every IR layer's ONNX output exposed and checks the IR output shapes against it. */
async function checkAgainstOrt(src: string | ModelProto, net: Network): Promise<number> {
  const model = typeof src === 'string' ? loadModel(src) : src;
  const g = new GraphView(model);
  const outOf = new Map(g.nodes.map((n) => [nodeLabel(n), n.outputs[0]]));
  const tensors = net.layers.map((l) => outOf.get(l.name) as string);
  const s = await openModel(withOutputs(model, tensors));
  const dims = (g.inputs[0].dims ?? []).map((d) => (typeof d === 'number' ? d : 1));
  const size = dims.reduce((a, b) => a * b, 1);
  const res = await s.run({ [g.inputs[0].name]: { dims, data: new Float32Array(size).map(() => r()) } });
  let checked = 0;
  net.layers.forEach((l, i) => {
    const d = res.get(tensors[i])?.dims;
    assert.ok(d, `output of ${l.name}`);
    const want = l.kind === 'fc' ? [1, l.output.c] : [1, l.output.c, l.output.h, l.output.w];
    assert.equal(d, want, `dims of ${l.name}`);
    checked++;
  });
  await s.release();
  return checked;
}

withShared(test, 'ResNet-20: 19 convs + 1 fc, 40,551,040 MACs, shapes match onnxruntime', [['models', 'cifar10-resnet20.onnx']], async ([p]) => {
  const net = importOnnx(p);
  assert.is(net.name, 'cifar10-resnet20');
  assert.equal(net.input, { c: 3, h: 32, w: 32 });
  const kinds = net.layers.map((l) => l.kind);
  assert.is(kinds.filter((k) => k === 'conv').length, 19);
  assert.is(kinds.filter((k) => k === 'fc').length, 1);
  assert.is(kinds.filter((k) => k === 'add').length, 9);
  assert.is(kinds.filter((k) => k === 'pool').length, 1);
  // conv1 + 6 layer1 convs + (16->32 s2, 5x 32->32) + (32->64 s2, 5x 64->64) + fc, by hand:
  const byHand = 16 * 3 * 9 * 1024 + 6 * (16 * 16 * 9 * 1024) + (32 * 16 * 9 * 256 + 5 * 32 * 32 * 9 * 256) + (64 * 32 * 9 * 64 + 5 * 64 * 64 * 9 * 64) + 64 * 10;
  assert.is(byHand, 40_551_040);
  assert.is(networkMacs(net), byHand);
  // 267,696 weights + 688 folded-BN biases + 650 fc.
  assert.is(networkParams(net), 269_034);
  // The option-A shortcut (strided Slice + channel Pad) is walked through to the previous block's Add.
  const sc = layer<AddLayer>(net, '/layer2/layer2.0/Add');
  assert.equal(sc.inputs, ['/layer2/layer2.0/conv2/Conv', '/layer1/layer1.2/Add']);
  assert.equal(sc.input, { c: 32, h: 16, w: 16 });
  assert.is(sc.activation, 'relu');
  const down = layer<ConvLayer>(net, '/layer2/layer2.0/conv1/Conv');
  assert.equal([down.inC, down.outC, down.stride, down.pad, down.bias, down.activation], [16, 32, [2, 2], [1, 1, 1, 1], true, 'relu']);
  const fc = layer<FcLayer>(net, '/linear/Gemm');
  assert.equal([fc.inputs, fc.input, fc.inFeatures, fc.outFeatures, fc.bias], [['/GlobalAveragePool'], { c: 64, h: 1, w: 1 }, 64, 10, true]);
  assert.is(await checkAgainstOrt(p, net), 30);
});

withShared(test, 'ResNet-32: 31 convs + 1 fc, 68,862,592 MACs', [['models', 'cifar10-resnet32.onnx']], async ([p]) => {
  const net = importOnnx(p);
  const cl = computeLayers(net);
  assert.is(cl.filter((l) => l.kind === 'conv').length, 31);
  assert.is(cl.filter((l) => l.kind === 'fc').length, 1);
  assert.is(networkMacs(net), 16 * 3 * 9 * 1024 + 10 * (16 * 16 * 9 * 1024) + (32 * 16 * 9 * 256 + 9 * 32 * 32 * 9 * 256) + (64 * 32 * 9 * 64 + 9 * 64 * 64 * 9 * 64) + 640);
  assert.is(networkMacs(net), 68_862_592);
  assert.is(networkParams(net), 463_018);
  assert.is(await checkAgainstOrt(p, net), net.layers.length);
});

withShared(test, 'MobileNetV2: 52 convs (17 depthwise) + 1 fc, 300.77 M MACs, 3.49 M params, shapes match onnxruntime', [['models', 'imagenet-mobilenetv2.onnx']], async ([p]) => {
  const net = importOnnx(p);
  assert.equal(net.input, { c: 3, h: 224, w: 224 });
  const convs = net.layers.filter((l): l is ConvLayer => l.kind === 'conv');
  assert.is(convs.length, 52);
  assert.is(convs.filter((l) => l.groups > 1 && l.groups === l.inC && l.groups === l.outC).length, 17);
  assert.is(net.layers.filter((l) => l.kind === 'fc').length, 1);
  assert.is(net.layers.filter((l) => l.kind === 'add').length, 10);
  assert.is(networkMacs(net), 300_774_272);
  assert.is(networkParams(net), 3_487_816);
  // Unnamed nodes are named <OpType>_<index>; Clip(0, 6) is relu6, a calibrated Clip(0, 4.49) relu-like,
  // and the linear bottleneck's Clip(-7.8, 8.9) no activation.
  const first = layer<ConvLayer>(net, 'Conv_0');
  assert.equal([first.stride, first.pad, first.activation], [[2, 2], [1, 1, 1, 1], 'relu']);
  const dw = layer<ConvLayer>(net, 'Conv_2');
  assert.equal([dw.groups, dw.inC, dw.outC, dw.activation, dw.inputs], [32, 32, 32, 'relu6', ['Conv_0']]);
  assert.is(layerMacs(dw), 112 * 112 * 9 * 32);
  assert.is(layer<ConvLayer>(net, 'Conv_4').activation, 'none');
  const fc = net.layers[net.layers.length - 1] as FcLayer;
  assert.equal([fc.kind, fc.inFeatures, fc.outFeatures, fc.bias, fc.input], ['fc', 1280, 1000, true, { c: 1280, h: 1, w: 1 }]);
  assert.is(await checkAgainstOrt(p, net), net.layers.length);
});

test('a mixed CNN (NHWC input, BN, MaxPool, fire-module Concat, SE Mul, HardSwish, VGG-style head) matches onnxruntime', async () => {
  const bn = (x: string, c: number, out: string): NodeSpec[] => {
    init[`${out}_g`] = randn([c]);
    init[`${out}_b`] = randn([c]);
    init[`${out}_m`] = randn([c]);
    init[`${out}_v`] = floatTensor([c], new Array(c).fill(1.5));
    return [{ op: 'BatchNormalization', inputs: [x, `${out}_g`, `${out}_b`, `${out}_m`, `${out}_v`], outputs: [out] }];
  };
  const init: Record<string, Tensor> = {
    w1: randn([16, 3, 7, 7]), sq: randn([8, 16, 1, 1]), e1: randn([12, 8, 1, 1]), e3: randn([12, 8, 3, 3]),
    s1: randn([6, 24, 1, 1]), s2: randn([24, 6, 1, 1]), f1: randn([24 * 4 * 4, 32]), f2: randn([10, 32]), sh: i64([1, -1]),
  };
  const nodes: NodeSpec[] = [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: attr.ints([0, 3, 1, 2]) } },
    conv('stem', 'xt', 'w1', 'c1', { strides: attr.ints([2, 2]), pads: attr.ints([3, 3, 3, 3]) }),
    ...bn('c1', 16, 'b1'),
    { op: 'Relu', inputs: ['b1'], outputs: ['r1'] },
    { op: 'MaxPool', name: 'mp', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) } },
    conv('squeeze', 'p1', 'sq', 'q'),
    { op: 'Relu', inputs: ['q'], outputs: ['qr'] },
    conv('expand1', 'qr', 'e1', 'x1'),
    conv('expand3', 'qr', 'e3', 'x3', { pads: attr.ints([1, 1, 1, 1]) }),
    { op: 'Concat', inputs: ['x1', 'x3'], outputs: ['cat'], attrs: { axis: attr.int(1) } },
    { op: 'GlobalAveragePool', name: 'se_pool', inputs: ['cat'], outputs: ['sp'] },
    conv('se1', 'sp', 's1', 'sa'),
    { op: 'Relu', inputs: ['sa'], outputs: ['sar'] },
    conv('se2', 'sar', 's2', 'sb'),
    { op: 'HardSigmoid', inputs: ['sb'], outputs: ['sg'] },
    { op: 'Mul', inputs: ['cat', 'sg'], outputs: ['scaled'] },
    { op: 'HardSwish', inputs: ['scaled'], outputs: ['hs'] },
    { op: 'AveragePool', name: 'ap', inputs: ['hs'], outputs: ['a4'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
    { op: 'Reshape', inputs: ['a4', 'sh'], outputs: ['flat'] },
    { op: 'MatMul', name: 'fc1', inputs: ['flat', 'f1'], outputs: ['h1'] },
    { op: 'Relu', inputs: ['h1'], outputs: ['h1r'] },
    { op: 'Dropout', inputs: ['h1r'], outputs: ['h1d'] },
    { op: 'Gemm', name: 'fc2', inputs: ['h1d', 'f2'], outputs: ['y'], attrs: { transB: attr.int(1) } },
  ];
  const model = buildModel({ inputs: [{ name: 'x', dims: ['N', 32, 32, 3] }], outputs: [{ name: 'y' }], nodes, initializers: init, opset: 14 });
  const net = importOnnx(encodeModel(model), 'mixed');
  assert.equal(net.input, { c: 3, h: 32, w: 32 });
  assert.equal(net.layers.map((l) => l.name), ['stem', 'mp', 'squeeze', 'expand1', 'expand3', 'se_pool', 'se1', 'se2', 'ap', 'fc1', 'fc2']);
  const stem = layer<ConvLayer>(net, 'stem');
  assert.equal([stem.inputs, stem.bias, stem.activation, stem.output], [['input'], true, 'relu', { c: 16, h: 16, w: 16 }]);
  assert.equal(layer<PoolLayer>(net, 'se_pool').inputs, ['expand1', 'expand3']);
  assert.equal(layer<ConvLayer>(net, 'se2').activation, 'none');
  // The SE scale multiplies two activations: the IR keeps both producers as the next layer's inputs.
  const ap = layer<PoolLayer>(net, 'ap');
  assert.equal([ap.inputs, ap.input], [['expand1', 'expand3', 'se2'], { c: 24, h: 8, w: 8 }]);
  const fc1 = layer<FcLayer>(net, 'fc1');
  assert.equal([fc1.input, fc1.inFeatures, fc1.bias, fc1.activation], [{ c: 24, h: 4, w: 4 }, 384, false, 'relu']);
  assert.equal(layer<FcLayer>(net, 'fc2').inputs, ['fc1']);
  assert.is(await checkAgainstOrt(model, net), 11);
});

test('a pure spatial zero Pad folds into the next conv and pool; a channel pad is walked through', async () => {
  const spec: ModelSpec = {
    inputs: [{ name: 'x', dims: ['N', 3, 10, 10] }],
    outputs: [{ name: 'y' }],
    initializers: { w: randn([8, 3, 3, 3]), b: randn([8]), p: i64([0, 0, 1, 2, 0, 0, 3, 0]), pc: i64([0, 2, 0, 0, 0, 2, 0, 0]), pp: i64([0, 0, 1, 1, 0, 0, 1, 1]), w2: randn([4, 12, 1, 1]) },
    nodes: [
      { op: 'Pad', inputs: ['x', 'p'], outputs: ['xp'] },
      conv('c1', 'xp', 'w', 'a', { pads: attr.ints([1, 1, 1, 1]) }, 'b'),
      { op: 'Relu', inputs: ['a'], outputs: ['ar'] },
      { op: 'Pad', inputs: ['ar', 'pp'], outputs: ['arp'] },
      { op: 'MaxPool', name: 'pool', inputs: ['arp'], outputs: ['m'], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) } },
      { op: 'Pad', inputs: ['m', 'pc'], outputs: ['mc'] },
      conv('c2', 'mc', 'w2', 'y'),
    ],
  };
  const net = imp(spec);
  const c1 = layer<ConvLayer>(net, 'c1');
  assert.equal(c1.pad, [2, 3, 4, 1]);
  assert.equal(c1.input, { c: 3, h: 10, w: 10 });
  assert.equal(c1.output, { c: 8, h: 14, w: 12 });
  assert.equal([c1.inputs, c1.bias, c1.activation], [['input'], true, 'relu']);
  const pool = layer<PoolLayer>(net, 'pool');
  assert.equal([pool.pad, pool.input, pool.output, pool.inputs], [[1, 1, 1, 1], { c: 8, h: 14, w: 12 }, { c: 8, h: 7, w: 6 }, ['c1']]);
  const c2 = layer<ConvLayer>(net, 'c2');
  assert.equal([c2.pad, c2.inC, c2.input, c2.inputs], [[0, 0, 0, 0], 12, { c: 12, h: 7, w: 6 }, ['pool']]);
  const s = await openModel(encodeModel(buildModel(spec)));
  const res = await s.run({ x: { dims: [1, 3, 10, 10], data: new Float32Array(300).fill(0.5) } });
  assert.equal(res.get('y')?.dims, [1, 4, c2.output.h, c2.output.w]);
  await s.release();
});

test('a reflect Pad is not folded: the conv reads the padded shape', () => {
  const net = imp({
    inputs: [{ name: 'x', dims: [1, 3, 8, 8] }],
    outputs: [{ name: 'y' }],
    initializers: { w: randn([4, 3, 3, 3]), p: i64([0, 0, 1, 1, 0, 0, 1, 1]) },
    nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['xp'], attrs: { mode: attr.string('reflect') } }, conv('c', 'xp', 'w', 'y')],
  });
  const c = layer<ConvLayer>(net, 'c');
  assert.equal([c.pad, c.input, c.output], [[0, 0, 0, 0], { c: 3, h: 10, w: 10 }, { c: 4, h: 8, w: 8 }]);
});

test('grouped and depthwise convs, BatchNorm + Clip(0,6) epilogue, unnamed nodes', () => {
  const net = imp({
    inputs: [{ name: 'x', dims: [1, 8, 16, 16] }],
    outputs: [{ name: 'y' }],
    initializers: {
      wg: randn([12, 4, 3, 3]), wd: randn([12, 1, 5, 5]), g: randn([12]), be: randn([12]), mu: randn([12]), va: floatTensor([12], new Array(12).fill(1)),
      lo: floatTensor([], [0]), hi: floatTensor([], [6]),
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'wg'], outputs: ['a'], attrs: { group: attr.int(2), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'BatchNormalization', inputs: ['a', 'g', 'be', 'mu', 'va'], outputs: ['bn'] },
      { op: 'Clip', inputs: ['bn', 'lo', 'hi'], outputs: ['r'] },
      { op: 'Conv', inputs: ['r', 'wd'], outputs: ['y'], attrs: { group: attr.int(12), strides: attr.ints([2, 2]), pads: attr.ints([2, 2, 2, 2]), dilations: attr.ints([1, 1]) } },
    ],
  });
  const [g, d] = net.layers as ConvLayer[];
  assert.equal([g.name, g.groups, g.inC, g.outC, g.bias, g.activation], ['Conv_0', 2, 8, 12, true, 'relu6']);
  assert.is(layerMacs(g), 16 * 16 * (4 * 9) * 6 * 2);
  assert.equal([d.name, d.groups, d.kernel, d.stride, d.output, d.inputs, d.bias], ['Conv_3', 12, [5, 5], [2, 2], { c: 12, h: 8, w: 8 }, ['Conv_0'], false]);
  assert.is(layerMacs(d), 8 * 8 * 25 * 12);
});

test('Gemm with transB after a Shape/Gather-built Reshape reads the conv output un-flattened', () => {
  const net = imp({
    inputs: [{ name: 'x', dims: ['batch', 2, 6, 6] }],
    outputs: [{ name: 'y' }, { name: 'z' }],
    initializers: { w: randn([5, 2, 3, 3]), idx: makeTensor(DataType.INT64, [], [0]), ax: i64([0]), m1: i64([-1]), wt: randn([7, 80]), bt: randn([7]), wn: randn([80, 3]) },
    nodes: [
      conv('c', 'x', 'w', 'c_out', { pads: attr.ints([0, 0, 0, 0]) }),
      { op: 'Shape', inputs: ['c_out'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'idx'], outputs: ['n'], attrs: { axis: attr.int(0) } },
      { op: 'Unsqueeze', inputs: ['n', 'ax'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'm1'], outputs: ['target'], attrs: { axis: attr.int(0) } },
      { op: 'Reshape', inputs: ['c_out', 'target'], outputs: ['f'] },
      { op: 'Gemm', name: 'fcT', inputs: ['f', 'wt', 'bt'], outputs: ['y'], attrs: { transB: attr.int(1), alpha: attr.float(1) } },
      { op: 'Gemm', name: 'fcN', inputs: ['f', 'wn'], outputs: ['g'] },
      { op: 'Sigmoid', inputs: ['g'], outputs: ['z'] },
    ],
  });
  const t = layer<FcLayer>(net, 'fcT');
  assert.equal([t.inFeatures, t.outFeatures, t.bias, t.input, t.inputs, t.activation], [80, 7, true, { c: 5, h: 4, w: 4 }, ['c'], 'none']);
  const n = layer<FcLayer>(net, 'fcN');
  assert.equal([n.inFeatures, n.outFeatures, n.bias, n.activation], [80, 3, false, 'sigmoid']);
});

test('MatMul on a 3-D activation is a matmul layer; a following constant Add is its bias; ReduceMean over H,W is a global pool', () => {
  const net = imp({
    inputs: [{ name: 'x', dims: [1, 6, 4, 4] }],
    outputs: [{ name: 'y' }],
    initializers: { sh: i64([0, 6, 16]), wm: randn([16, 9]), bm: randn([9]), w: randn([6, 6, 1, 1]) },
    nodes: [
      conv('c', 'x', 'w', 'a'),
      { op: 'ReduceMean', name: 'gap', inputs: ['a'], outputs: ['gm'], attrs: { axes: attr.ints([2, 3]), keepdims: attr.int(1) } },
      { op: 'Add', name: 'se', inputs: ['a', 'gm'], outputs: ['s'] },
      { op: 'Reshape', inputs: ['s', 'sh'], outputs: ['seq'] },
      { op: 'MatMul', name: 'mm', inputs: ['seq', 'wm'], outputs: ['p'] },
      { op: 'Add', inputs: ['p', 'bm'], outputs: ['y'] },
    ],
  });
  const gap = layer<PoolLayer>(net, 'gap');
  assert.equal([gap.global, gap.op, gap.kernel, gap.inputs], [true, 'avg', [4, 4], ['c']]);
  assert.equal(layer<AddLayer>(net, 'se').inputs, ['c', 'gap']);
  const mm = layer<MatMulLayer>(net, 'mm');
  assert.equal([mm.kind, mm.m, mm.k, mm.n, mm.steps, mm.bias, mm.inputs], ['matmul', 6, 16, 9, 1, true, ['se']]);
  assert.is(layerMacs(mm), 6 * 16 * 9);
});

test('a QDQ model imports through Quantize/DequantizeLinear, with the precision its quantized types state', async () => {
  const spec: ModelSpec = {
    opset: 21,
    irVersion: 10,
    inputs: [{ name: 'x', dims: [1, 4, 6, 6] }],
    outputs: [{ name: 'y' }],
    initializers: {
      s: floatTensor([], [0.05]), zu8: makeTensor(DataType.UINT8, [], [128]), zi8: makeTensor(DataType.INT8, [], [0]),
      wq: makeTensor(DataType.INT4, [8, 4, 3, 3], Array.from({ length: 288 }, (_, i) => (i % 16) - 8)),
      fq: makeTensor(DataType.INT8, [8, 3], Array.from({ length: 24 }, (_, i) => i - 12)),
    },
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 's', 'zu8'], outputs: ['xq'] },
      { op: 'DequantizeLinear', inputs: ['xq', 's', 'zu8'], outputs: ['xd'] },
      { op: 'DequantizeLinear', inputs: ['wq', 's'], outputs: ['wd'] },
      conv('qconv', 'xd', 'wd', 'c', { pads: attr.ints([1, 1, 1, 1]) }),
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'QuantizeLinear', inputs: ['f', 's', 'zi8'], outputs: ['fq8'] },
      { op: 'DequantizeLinear', inputs: ['fq8', 's', 'zi8'], outputs: ['fd'] },
      { op: 'DequantizeLinear', inputs: ['fq', 's'], outputs: ['fw'] },
      { op: 'MatMul', name: 'qfc', inputs: ['fd', 'fw'], outputs: ['y'] },
    ],
  };
  const net = imp(spec);
  const c = layer<ConvLayer>(net, 'qconv');
  assert.equal([c.inputs, c.outC, c.activation, c.precision], [['input'], 8, 'relu', { a: 8, w: 4 }]);
  const f = layer<FcLayer>(net, 'qfc');
  assert.equal([f.inputs, f.inFeatures, f.outFeatures, f.precision], [['GlobalAveragePool_5'], 8, 3, { a: 8, w: 8 }]);
  const s = await openModel(encodeModel(buildModel(spec)));
  const res = await s.run({ x: { dims: [1, 4, 6, 6], data: new Float32Array(144).fill(0.3) } });
  assert.equal(res.get('y')?.dims, [1, 3]);
  await s.release();
});

test('an LSTM on the compute path is a UserError naming the op, the node, why and what to use instead', () => {
  expectUserError(() => imp({
    inputs: [{ name: 'x', dims: [5, 1, 4] }],
    outputs: [{ name: 'y' }],
    initializers: { W: randn([1, 12, 4]), R: randn([1, 12, 3]) },
    nodes: [{ op: 'LSTM', name: 'rnn0', inputs: ['x', 'W', 'R'], outputs: ['y'], attrs: { hidden_size: attr.int(3) } }],
  }), /op 'LSTM' \(node 'rnn0'\) is a recurrent layer/, /bf-rnn and bf-lstm/);
  // an op with no known reason lists what the IR reads
  expectUserError(() => imp({
    inputs: [{ name: 'x', dims: [1, 4, 8, 8] }],
    outputs: [{ name: 'y' }],
    nodes: [{ op: 'Einsum', name: 'e0', inputs: ['x'], outputs: ['y'], attrs: { equation: attr.string('ij->ji') } }],
  }), /op 'Einsum' \(node 'e0'\) cannot be represented/, /supported ops: .*Conv.*MatMul/);
});

test('ConvTranspose and a MatMul of two activations are rejected', () => {
  expectUserError(() => imp({
    inputs: [{ name: 'x', dims: [1, 4, 8, 8] }],
    outputs: [{ name: 'y' }],
    initializers: { w: randn([4, 2, 2, 2]) },
    nodes: [{ op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['y'], attrs: { strides: attr.ints([2, 2]) } }],
  }), /op 'ConvTranspose' \(node 'ConvTranspose_0'\) is a transposed convolution/);
  expectUserError(() => imp({
    inputs: [{ name: 'x', dims: [1, 4, 4] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: attr.ints([0, 2, 1]) } },
      { op: 'MatMul', name: 'attn', inputs: ['x', 'xt'], outputs: ['y'] },
    ],
  }), /'attn' \(MatMul\): a product of two activations/);
});

test('a graph with no data input or no weighted layer is a UserError', () => {
  expectUserError(() => imp({ inputs: [{ name: 'x', dims: [1, 3, 4, 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }), /no Conv, Gemm or MatMul/);
  expectUserError(() => imp({
    inputs: [{ name: 'a', dims: [1, 3] }, { name: 'b', dims: [1, 3] }],
    outputs: [{ name: 'y' }],
    nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
  }), /expected one data input, found 2 \(a, b\)/);
});

test('every op the importer walks has shape inference', () => {
  assert.equal(IMPORT_OPS.filter((op) => !SHAPE_OPS.includes(op)), []);
});

test('a missing file is a UserError', () => {
  expectUserError(() => importOnnx('/nonexistent/model.onnx'), /'\/nonexistent\/model\.onnx' not found/);
});

test.run();
