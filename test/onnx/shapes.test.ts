// Shape inference on small graphs built in code, checked against what onnxruntime actually produces for
// every intermediate tensor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from '../helpers.js';
import { UserError } from '../../src/errors.js';
import { attr } from '../../src/onnx/attr.js';
import { type ModelSpec, buildModel } from '../../src/onnx/build.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { GraphView } from '../../src/onnx/graph.js';
import { openModel } from '../../src/onnx/run.js';
import { inferShapes } from '../../src/onnx/shapes.js';
import { DataType, type Tensor, floatTensor, int64Tensor, makeTensor } from '../../src/onnx/tensor.js';

const r = rng(7);
const randn = (dims: number[]): Tensor => floatTensor(dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
const i64 = (v: number[]): Tensor => int64Tensor([v.length], v);
const INT64_MAX = 2 ** 63;

/** Infers shapes, runs the model in onnxruntime with every activation exposed, and compares all dims. */
async function checkShapes(spec: ModelSpec, feedDims: number[]): Promise<Map<string, number[]>> {
  const model = buildModel(spec);
  const info = inferShapes(new GraphView(model));
  const activations = spec.nodes.flatMap((n) => n.outputs).filter((t) => t && !info.value(t));
  const s = await openModel(withOutputs(model, activations));
  const n = feedDims.reduce((a, b) => a * b, 1);
  const res = await s.run({ [spec.inputs[0].name]: { dims: feedDims, data: new Float32Array(n).map(() => r() - 0.5) } });
  for (const t of activations) {
    assert.equal(info.dims.get(t), res.get(t)?.dims, `dims of '${t}'`);
  }
  await s.release();
  return info.dims;
}

test('option-A shortcut: strided Slice and a Pad whose pads come from a constant chain', async () => {
  const c = (name: string, t: Tensor) => ({ op: 'Constant', inputs: [], outputs: [name], attrs: { value: attr.tensor(t) } });
  const dims = await checkShapes({
    inputs: [{ name: 'x', dims: ['N', 16, 32, 32] }],
    outputs: [{ name: 'y' }],
    nodes: [
      c('s0', i64([0])), c('e0', i64([INT64_MAX - 1])), c('a2', i64([2])), c('a3', i64([3])), c('st', i64([2])),
      { op: 'Slice', inputs: ['x', 's0', 'e0', 'a2', 'st'], outputs: ['h'] },
      { op: 'Slice', inputs: ['h', 's0', 'e0', 'a3', 'st'], outputs: ['hw'] },
      // PyTorch's F.pad(x, (0, 0, 0, 0, 8, 8)) exported: pads built, reversed and interleaved at run time.
      c('p6', i64([0, 0, 0, 0, 8, 8])), c('two', i64([2])),
      { op: 'ConstantOfShape', inputs: ['two'], outputs: ['zeros'], attrs: { value: attr.tensor(int64Tensor([1], [0])) } },
      { op: 'Concat', inputs: ['p6', 'zeros'], outputs: ['p8'], attrs: { axis: attr.int(0) } },
      c('shp', i64([-1, 2])),
      { op: 'Reshape', inputs: ['p8', 'shp'], outputs: ['p42'] },
      c('m1', i64([-1])), c('minbig', i64([-INT64_MAX])), c('z', i64([0])),
      { op: 'Slice', inputs: ['p42', 'm1', 'minbig', 'z', 'm1'], outputs: ['rev'] },
      { op: 'Transpose', inputs: ['rev'], outputs: ['tr'], attrs: { perm: attr.ints([1, 0]) } },
      { op: 'Reshape', inputs: ['tr', 'm1'], outputs: ['flat'] },
      { op: 'Cast', inputs: ['flat'], outputs: ['pads'], attrs: { to: attr.int(DataType.INT64) } },
      { op: 'Pad', inputs: ['hw', 'pads'], outputs: ['y'], attrs: { mode: attr.string('constant') } },
    ],
  }, [1, 16, 32, 32]);
  assert.equal(dims.get('y'), [1, 32, 16, 16]);
});

test('Reshape target built by Shape -> Gather -> Unsqueeze -> Concat', async () => {
  const dims = await checkShapes({
    inputs: [{ name: 'x', dims: ['N', 4, 6, 6] }],
    outputs: [{ name: 'y' }],
    initializers: { w: randn([8, 4, 3, 3]), idx: makeTensor(DataType.INT64, [], [0]), ax: i64([0]), m1: i64([-1]) },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: attr.ints([3, 3]) } },
      { op: 'Shape', inputs: ['c'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'idx'], outputs: ['n'], attrs: { axis: attr.int(0) } },
      { op: 'Unsqueeze', inputs: ['n', 'ax'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'm1'], outputs: ['target'], attrs: { axis: attr.int(0) } },
      { op: 'Reshape', inputs: ['c', 'target'], outputs: ['y'] },
    ],
  }, [1, 4, 6, 6]);
  assert.equal(dims.get('y'), [1, 128]);
});

test('windows: auto_pad SAME_UPPER, dilation, ceil_mode pooling, global pooling', async () => {
  const dims = await checkShapes({
    inputs: [{ name: 'x', dims: [1, 3, 15, 17] }],
    outputs: [{ name: 'y' }],
    initializers: { w: randn([6, 3, 3, 3]), w2: randn([6, 1, 3, 3]) },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['a'], attrs: { auto_pad: attr.string('SAME_UPPER'), strides: attr.ints([2, 2]) } },
      { op: 'Conv', inputs: ['a', 'w2'], outputs: ['b'], attrs: { group: attr.int(6), dilations: attr.ints([2, 2]), pads: attr.ints([1, 2, 1, 0]) } },
      { op: 'MaxPool', inputs: ['b'], outputs: ['c'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) } },
      { op: 'AveragePool', inputs: ['a'], outputs: ['d'], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'GlobalAveragePool', inputs: ['d'], outputs: ['y'] },
    ],
  }, [1, 3, 15, 17]);
  assert.equal(dims.get('a'), [1, 6, 8, 9]);
  assert.equal(dims.get('b'), [1, 6, 6, 7]);
  assert.equal(dims.get('c'), [1, 6, 3, 4]);
  assert.equal(dims.get('y'), [1, 6, 1, 1]);
});

test('opset 9 attribute forms: Pad pads, Clip min/max, Unsqueeze/Squeeze axes, Slice starts/ends', async () => {
  const dims = await checkShapes({
    opset: 9,
    inputs: [{ name: 'x', dims: [1, 2, 5, 5] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Pad', inputs: ['x'], outputs: ['p'], attrs: { pads: attr.ints([0, 0, 1, 2, 0, 0, 3, 0]) } },
      { op: 'Clip', inputs: ['p'], outputs: ['c'], attrs: { min: attr.float(0), max: attr.float(6) } },
      { op: 'Slice', inputs: ['c'], outputs: ['s'], attrs: { starts: attr.ints([1]), ends: attr.ints([-1]), axes: attr.ints([3]) } },
      { op: 'Unsqueeze', inputs: ['s'], outputs: ['u'], attrs: { axes: attr.ints([0, 3]) } },
      { op: 'Squeeze', inputs: ['u'], outputs: ['y'], attrs: { axes: attr.ints([0]) } },
    ],
  }, [1, 2, 5, 5]);
  assert.equal(dims.get('p'), [1, 2, 9, 7]);
  assert.equal(dims.get('s'), [1, 2, 9, 5]);
  assert.equal(dims.get('u'), [1, 1, 2, 1, 9, 5]);
});

test('opset 13 input forms and dense ops: Clip inputs, Gemm transB, MatMul 3-D, broadcasting, Flatten, Concat, Split, ReduceMean', async () => {
  const dims = await checkShapes({
    inputs: [{ name: 'x', dims: [1, 4, 3, 5] }],
    outputs: [{ name: 'y' }, { name: 'm' }, { name: 'sm' }],
    initializers: {
      lo: floatTensor([], [0]), hi: floatTensor([], [6]), scale: randn([4, 1, 1]), wt: randn([7, 60]), bt: randn([7]),
      wm: randn([5, 9]), sizes: i64([1, 3]),
    },
    nodes: [
      { op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['c'] },
      { op: 'Mul', inputs: ['c', 'scale'], outputs: ['b'] },
      { op: 'Flatten', inputs: ['b'], outputs: ['f'], attrs: { axis: attr.int(1) } },
      { op: 'Gemm', inputs: ['f', 'wt', 'bt'], outputs: ['g'], attrs: { transB: attr.int(1) } },
      { op: 'Softmax', inputs: ['g'], outputs: ['y'], attrs: { axis: attr.int(-1) } },
      { op: 'MatMul', inputs: ['b', 'wm'], outputs: ['mm'] },
      { op: 'Split', inputs: ['mm', 'sizes'], outputs: ['s1', 's2'], attrs: { axis: attr.int(1) } },
      { op: 'Concat', inputs: ['s2', 's1', 's2'], outputs: ['m'], attrs: { axis: attr.int(1) } },
      { op: 'ReduceMean', inputs: ['b'], outputs: ['sm'], attrs: { axes: attr.ints([2, 3]), keepdims: attr.int(0) } },
    ],
  }, [1, 4, 3, 5]);
  assert.equal(dims.get('g'), [1, 7]);
  assert.equal(dims.get('mm'), [1, 4, 3, 9]);
  assert.equal(dims.get('m'), [1, 7, 3, 9]);
  assert.equal(dims.get('sm'), [1, 4]);
});

test('the symbolic batch dim becomes 1; a symbolic spatial dim is a UserError unless dims are given', () => {
  const spec = (dims: (number | string)[]): ModelSpec => ({ inputs: [{ name: 'x', dims }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  assert.equal(inferShapes(new GraphView(buildModel(spec(['batch', 3, 8, 8])))).dims.get('y'), [1, 3, 8, 8]);
  const g = new GraphView(buildModel(spec(['batch', 3, 'h', 'w'])));
  assert.throws(() => inferShapes(g), (e: unknown) => e instanceof UserError && /symbolic dim 'h' at axis 2/.test((e as Error).message));
  assert.equal(inferShapes(g, { inputDims: { x: [2, 3, 4, 4] } }).dims.get('y'), [2, 3, 4, 4]);
});

test('an op shape inference does not know is a UserError naming it', () => {
  const m = buildModel({ inputs: [{ name: 'x', dims: [1, 3] }], outputs: [{ name: 'y' }], nodes: [{ op: 'NonMaxSuppression', inputs: ['x'], outputs: ['y'], name: 'nms' }] });
  assert.throws(() => inferShapes(new GraphView(m)), (e: unknown) => e instanceof UserError && /node nms \(NonMaxSuppression\): op is not supported.*supported ops: .*Conv/.test((e as Error).message));
});

test('foldConstants evaluates Constant/initializer chains without a data input', () => {
  const m = buildModel({
    inputs: [{ name: 'x', dims: [1, 2] }],
    outputs: [{ name: 'y' }],
    initializers: { a: i64([3, 4]), b: i64([10]) },
    nodes: [
      { op: 'Mul', inputs: ['a', 'b'], outputs: ['ab'] },
      { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value_ints: attr.ints([1, 2]) } },
      { op: 'Add', inputs: ['ab', 'k'], outputs: ['s'] },
      { op: 'Relu', inputs: ['x'], outputs: ['y'] },
    ],
  });
  const v = new GraphView(m).foldConstants();
  assert.equal(Array.from(v.get('s')?.data ?? []), [31, 42]);
  assert.not.ok(v.has('y'));
});

test.run();
