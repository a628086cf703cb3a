// QDQ export: onnxruntime runs the QDQ model and its outputs must equal a TS reference computed from the integer
// weights and fake-quantized inputs; bit widths below 8 must saturate at their own range; shared input tensors
// share one Q/DQ pair per distinct ActQuant; an opset-12 model (MobileNetV2) is raised to 13.
import * as ort from '../../src/onnx/ort.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng, withShared } from '../helpers.js';
import { UserError } from '../../src/errors.js';
import { attr } from '../../src/onnx/attr.js';
import { type ModelSpec, buildModel } from '../../src/onnx/build.js';
import { GraphView } from '../../src/onnx/graph.js';
import { type ModelProto, decodeModel, defaultOpset, encodeModel, loadModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { DataType, type Tensor, floatTensor, int64Tensor, numel } from '../../src/onnx/tensor.js';
import { fakeQuantize, quantizeAct, toQdqBytes, toQdqModel } from '../../src/quant/qdq.js';
import { actRange } from '../../src/intmodel/activation.js';
import { raiseOpset } from '../../src/quant/opset.js';
import type { ActQuant, QuantLayer, QuantModel } from '../../src/quant/types.js';

const r = rng(2024);
const randArr = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());

/** Per-channel max-abs rounding of a float weight to `bits` (the test's own simple quantizer). */
function quantWeight(w: Float32Array, shape: number[], axis: number, bits: number): { wInt: Int8Array; wScales: Float32Array } {
  const C = shape[axis];
  const inner = numel(shape.slice(axis + 1));
  const qmax = 2 ** (bits - 1) - 1;
  const maxAbs = new Float64Array(C);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % C;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i]));
  }
  const wScales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / qmax : 1));
  const wInt = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % C;
    wInt[i] = Math.max(-qmax - 1, Math.min(qmax, Math.round(w[i] / wScales[c])));
  }
  return { wInt, wScales };
}

/** Float32 weights exactly as DequantizeLinear produces them. */
function dequantWeight(l: QuantLayer): Float32Array {
  const C = l.weightShape[l.channelAxis];
  const inner = numel(l.weightShape.slice(l.channelAxis + 1));
  return Float32Array.from(l.wInt, (v, i) => Math.fround(v * l.wScales[Math.floor(i / inner) % C]));
}

function layer(
  name: string, kind: QuantLayer['kind'], node: string, input: string, output: string, wName: string, w: Tensor, axis: number, wBits: number,
  act?: ActQuant, bias?: Float32Array,
): QuantLayer {
  const { wInt, wScales } = quantWeight(w.data as Float32Array, w.dims, axis, wBits);
  return { name, kind, nodeName: node, inputTensor: input, outputTensor: output, weightName: wName, weightShape: [...w.dims], channelAxis: axis, wBits, wInt, wScales, act, bias };
}

const qmodel = (prepared: ModelProto, layers: QuantLayer[]): QuantModel => ({ source: 'test', name: 'test', weightMethod: 'maxabs', actMethod: 'manual', layers, prepared });

/** NCHW conv with groups, float64 accumulation of float32 operands. */
function conv2d(x: Float32Array, xd: number[], w: Float32Array, wd: number[], b: Float32Array | undefined, stride: number, pad: number, groups: number): { data: Float64Array; dims: number[] } {
  const [, C, H, W] = xd;
  const [O, Cg, KH, KW] = wd;
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  const out = new Float64Array(O * OH * OW);
  const og = O / groups;
  for (let o = 0; o < O; o++) {
    const g = Math.floor(o / og);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let s = b ? b[o] : 0;
        for (let ci = 0; ci < Cg; ci++) {
          const c = g * Cg + ci;
          for (let ky = 0; ky < KH; ky++) {
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * stride - pad + ky;
              const ix = ox * stride - pad + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              s += x[(c * H + iy) * W + ix] * w[((o * Cg + ci) * KH + ky) * KW + kx];
            }
          }
        }
        out[(o * OH + oy) * OW + ox] = s;
      }
    }
  }
  assert.is(C % groups, 0);
  return { data: out, dims: [1, O, OH, OW] };
}

/** y[m][n] = sum_k x[m][k] * w(k, n) (+ b[n]), with w given as [K][N] or, transposed, [N][K]. */
function matmul(x: ArrayLike<number>, M: number, K: number, w: Float32Array, N: number, transposed: boolean, b?: Float32Array): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = b ? b[n] : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[transposed ? n * K + k : k * N + n];
      y[m * N + n] = s;
    }
  }
  return y;
}

const fq = (x: ArrayLike<number>, a?: ActQuant): Float32Array => Float32Array.from(x, (v) => (a ? fakeQuantize(v, a) : Math.fround(v)));

// 'basic' runs the Q/DQ pairs as written (the fake-quantized graph the project evaluates). At 'all'
// onnxruntime fuses them into integer kernels whose u8 x s8 products saturate on CPUs without VNNI (AVX2).
async function run(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Map<string, Float32Array>> {
  const m = await openModel(bytes, 1, 'basic');
  try {
    const res = await m.run({ [m.inputNames[0]]: { dims, data: x } });
    return new Map([...res].map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await m.release();
  }
}

/** A run at a chosen graph optimization level with onnxruntime's own API. */
async function runAt(level: 'basic' | 'all', bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Map<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  try {
    const res = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, dims) });
    return new Map(Object.entries(res).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-5 * Math.abs(want[i]) + 1e-6 * scale + 1e-7;
    if (Math.abs(got[i] - want[i]) > tol) assert.unreachable(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

const countOps = (m: ModelProto, op: string): number => (m.graph?.node ?? []).filter((n) => n.opType === op).length;

test('fake quantization reference: 3-bit unsigned and 4-bit signed ranges saturate at their own levels', () => {
  const u3: ActQuant = { bits: 3, signed: false, scale: 0.5, zeroPoint: 0 };
  assert.equal(actRange(u3), { qmin: 0, qmax: 7, lo: 0, hi: 3.5 });
  assert.is(quantizeAct(100, u3), 7);
  assert.is(quantizeAct(-3, u3), 0);
  assert.is(quantizeAct(1.25, u3), 2); // 2.5 rounds half to even
  assert.is(quantizeAct(1.75, u3), 4); // 3.5 rounds half to even
  const s4: ActQuant = { bits: 4, signed: true, scale: 0.25, zeroPoint: 0 };
  assert.is(quantizeAct(5, s4), 7);
  assert.is(quantizeAct(-5, s4), -8);
  assert.is(fakeQuantize(-5, s4), -2);
  assert.is(fakeQuantize(0.3, s4), 0.25);
});

test('Conv (bias) + Relu + Gemm: onnxruntime output equals the integer-weight, fake-quantized-input reference', async () => {
  const w1 = floatTensor([4, 3, 3, 3], randArr(108));
  const b1 = floatTensor([4], randArr(4));
  const w2 = floatTensor([5, 64], randArr(320, -0.3, 0.3));
  const b2 = floatTensor([5], randArr(5));
  const spec: ModelSpec = {
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 3, 4, 4] }],
    outputs: [{ name: 'y', dims: [1, 5] }],
    initializers: { w1, b1, w2, b2 },
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Flatten', name: 'flat', inputs: ['r1'], outputs: ['f1'], attrs: { axis: attr.int(1) } },
      { op: 'Gemm', name: 'fc', inputs: ['f1', 'w2', 'b2'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
  };
  const prepared = buildModel(spec);
  // 8-bit signed input (values beyond +-1.27 clip), 3-bit unsigned after the ReLU: a scale of 0.25 tops out at
  // 1.75, well inside the ReLU's range, so many values saturate at the top level.
  const a1: ActQuant = { bits: 8, signed: true, scale: 0.01, zeroPoint: 0 };
  const a2: ActQuant = { bits: 3, signed: false, scale: 0.25, zeroPoint: 0 };
  const l1 = layer('conv1', 'conv', 'conv1', 'x', 'c1', 'w1', w1, 0, 4, a1, b1.data as Float32Array);
  const l2 = layer('fc', 'fc', 'fc', 'f1', 'y', 'w2', w2, 0, 6, a2, b2.data as Float32Array);
  const q = qmodel(prepared, [l1, l2]);
  const before = encodeModel(prepared);
  const qdq = toQdqModel(q);
  assert.equal(encodeModel(prepared), before, 'the prepared model is not modified');
  assert.is(countOps(qdq, 'QuantizeLinear'), 2);
  assert.is(countOps(qdq, 'DequantizeLinear'), 4);
  assert.is(countOps(qdq, 'Clip'), 1);
  const gv = new GraphView(qdq);
  assert.not.ok(gv.hasInitializer('w1'), 'float weight removed');
  assert.is(gv.initializerType('w1_quantized'), DataType.INT8);
  assert.equal(Array.from(gv.initializer('w1_quantized')?.data ?? []), Array.from(l1.wInt));

  const x = randArr(48, -2, 2);
  const c1 = conv2d(fq(x, a1), [1, 3, 4, 4], dequantWeight(l1), [4, 3, 3, 3], b1.data as Float32Array, 1, 1, 1);
  const r1 = fq(Float32Array.from(c1.data, (v) => Math.max(0, v)), a2);
  const saturated = r1.filter((v) => v === 1.75).length;
  assert.ok(saturated >= 5, `enough values saturate at the 3-bit top level (${saturated})`);
  const want = matmul(r1, 1, 64, dequantWeight(l2), 5, true, b2.data as Float32Array);
  const got = await run(encodeModel(qdq), x, [1, 3, 4, 4]);
  assertClose(got.get('y') as Float32Array, want, 'y');

  // The float model differs: the reference really is the quantized one.
  const fl = await run(before, x, [1, 3, 4, 4]);
  const diff = Math.max(...Array.from(fl.get('y') as Float32Array, (v, i) => Math.abs(v - want[i])));
  assert.ok(diff > 1e-3, `float and quantized outputs differ (${diff})`);

  // A changed bias (bias correction) replaces the graph's, and the old initializer is dropped.
  const shifted = Float32Array.from(b1.data as Float32Array, (v) => v + 0.5);
  const qb = toQdqModel(qmodel(prepared, [{ ...l1, bias: shifted }, l2]));
  const gb = new GraphView(qb);
  assert.not.ok(gb.hasInitializer('b1'), 'the replaced bias is dropped');
  const conv = (qb.graph?.node ?? []).find((n) => n.opType === 'Conv')!;
  assert.equal(Array.from(gb.initializer(conv.input![2])?.data ?? []), Array.from(shifted));
  assert.ok(gb.hasInitializer('b2'), 'an unchanged bias stays');

  const meta = new Map((qdq.metadataProps ?? []).map((p) => [p.key, p.value]));
  assert.equal(JSON.parse(meta.get('hwq.layers') ?? '[]'), [
    { name: 'conv1', nodeName: 'conv1', wBits: 4, aBits: 8, signed: true, scale: 0.01, zeroPoint: 0 },
    { name: 'fc', nodeName: 'fc', wBits: 6, aBits: 3, signed: false, scale: 0.25, zeroPoint: 0 },
  ]);
  assert.match(qdq.docString ?? '', /conv1: w4 a8s; fc: w6 a3u/);
});

test('depthwise Conv with 4-bit signed activations clips both ends; unsigned with a zero point', async () => {
  const w = floatTensor([4, 1, 3, 3], randArr(36));
  const prepared = buildModel({
    inputs: [{ name: 'x', dims: [1, 4, 5, 5] }],
    outputs: [{ name: 'y' }],
    initializers: { w },
    nodes: [{ op: 'Conv', name: 'dw', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: attr.int(4), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) } }],
  });
  const x = randArr(100, -3, 3);
  for (const a of [{ bits: 4, signed: true, scale: 0.2, zeroPoint: 0 }, { bits: 5, signed: false, scale: 0.1, zeroPoint: 12 }] as ActQuant[]) {
    const l = layer('dw', 'conv', 'dw', 'x', 'y', 'w', w, 0, 5, a);
    const xq = fq(x, a);
    const { lo, hi } = actRange(a);
    assert.ok(xq.some((v) => v === Math.fround(hi)) && xq.some((v) => v === Math.fround(lo)), 'both ends saturate');
    const want = conv2d(xq, [1, 4, 5, 5], dequantWeight(l), [4, 1, 3, 3], undefined, 2, 1, 4);
    const got = await run(toQdqBytes(qmodel(prepared, [l])), x, [1, 4, 5, 5]);
    assertClose(got.get('y') as Float32Array, want.data, `dw ${a.bits}-bit ${a.signed ? 'signed' : 'unsigned'}`);
  }
});

test('MatMul layers sharing an input: one Q/DQ pair per distinct ActQuant; weight-only layers keep float inputs', async () => {
  const wa = floatTensor([6, 5], randArr(30));
  const wb = floatTensor([6, 5], randArr(30));
  const wc = floatTensor([6, 3], randArr(18));
  const wd = floatTensor([6, 2], randArr(12));
  const prepared = buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 6] }],
    outputs: [{ name: 'ya' }, { name: 'yb' }, { name: 'yc' }, { name: 'yd' }],
    initializers: { wa, wb, wc, wd },
    nodes: [
      { op: 'MatMul', name: 'ma', inputs: ['x', 'wa'], outputs: ['ya'] },
      { op: 'MatMul', name: 'mb', inputs: ['x', 'wb'], outputs: ['yb'] },
      { op: 'MatMul', name: 'mc', inputs: ['x', 'wc'], outputs: ['yc'] },
      { op: 'MatMul', name: 'md', inputs: ['x', 'wd'], outputs: ['yd'] },
    ],
  });
  const a8: ActQuant = { bits: 8, signed: true, scale: 0.02, zeroPoint: 0 };
  const a3: ActQuant = { bits: 3, signed: true, scale: 0.3, zeroPoint: 0 };
  const layers = [
    layer('ma', 'matmul', 'ma', 'x', 'ya', 'wa', wa, 1, 8, a8),
    layer('mb', 'matmul', 'mb', 'x', 'yb', 'wb', wb, 1, 4, { ...a8 }),
    layer('mc', 'matmul', 'mc', 'x', 'yc', 'wc', wc, 1, 2, a3),
    layer('md', 'matmul', 'md', 'x', 'yd', 'wd', wd, 1, 8),
  ];
  const qdq = toQdqModel(qmodel(prepared, layers));
  assert.is(countOps(qdq, 'QuantizeLinear'), 2, 'ma and mb share one pair, mc has its own');
  assert.is(countOps(qdq, 'Clip'), 1, 'only the 3-bit chain needs a Clip');
  const md = qdq.graph?.node?.find((n) => n.name === 'md');
  assert.is(md?.input?.[0], 'x', 'weight-only layer reads the float input');
  const x = randArr(18, -1.5, 1.5);
  const bytes = encodeModel(qdq);
  const got = await runAt('basic', bytes, x, [1, 3, 6]);
  const acts = [a8, a8, a3, undefined];
  const ns = [5, 5, 3, 2];
  layers.forEach((l, i) => {
    const want = matmul(fq(x, acts[i]), 3, 6, dequantWeight(l), ns[i], false);
    assertClose(got.get(`y${'abcd'[i]}`) as Float32Array, want, l.name);
  });
  // At 'extended'/'all' onnxruntime may fuse a weight-only DequantizeLinear -> MatMul into a kernel that
  // quantizes the float input on the fly: the fake-quantized layers stay exact, the weight-only one is close.
  const all = await runAt('all', bytes, x, [1, 3, 6]);
  assertClose(all.get('yc') as Float32Array, matmul(fq(x, a3), 3, 6, dequantWeight(layers[2]), 3, false), 'mc at all');
  const wantD = matmul(x, 3, 6, dequantWeight(layers[3]), 2, false);
  const gotD = all.get('yd') as Float32Array;
  wantD.forEach((v, i) => assert.ok(Math.abs(gotD[i] - v) < 0.02 * Math.max(1, Math.abs(v)), `md at all [${i}]: ${gotD[i]} vs ${v}`));
});

test('an input tensor read through a Pad: the Pad reads the fake-quantized tensor, shared by two convs', async () => {
  const wa = floatTensor([2, 2, 3, 3], randArr(36));
  const wb = floatTensor([3, 2, 3, 3], randArr(54));
  const prepared = buildModel({
    inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
    outputs: [{ name: 'ya' }, { name: 'yb' }],
    initializers: { wa, wb, pads: int64Tensor([8], [0, 0, 1, 1, 0, 0, 1, 1]) },
    nodes: [
      { op: 'Pad', name: 'pad', inputs: ['x', 'pads'], outputs: ['xp'] },
      { op: 'Conv', name: 'ca', inputs: ['xp', 'wa'], outputs: ['ya'] },
      { op: 'Conv', name: 'cb', inputs: ['xp', 'wb'], outputs: ['yb'] },
    ],
  });
  const a: ActQuant = { bits: 4, signed: false, scale: 0.1, zeroPoint: 2 };
  const la = layer('ca', 'conv', 'ca', 'x', 'ya', 'wa', wa, 0, 8, a);
  const lb = layer('cb', 'conv', 'cb', 'x', 'yb', 'wb', wb, 0, 8, { ...a });
  const qdq = toQdqModel(qmodel(prepared, [la, lb]));
  assert.is(countOps(qdq, 'QuantizeLinear'), 1);
  assert.is(qdq.graph?.node?.find((n) => n.opType === 'Pad')?.input?.[0], 'x_a4u_dequantized');
  const x = randArr(32, -0.5, 2);
  const got = await run(encodeModel(qdq), x, [1, 2, 4, 4]);
  assertClose(got.get('ya') as Float32Array, conv2d(fq(x, a), [1, 2, 4, 4], dequantWeight(la), [2, 2, 3, 3], undefined, 1, 1, 1).data, 'ya');
  assertClose(got.get('yb') as Float32Array, conv2d(fq(x, a), [1, 2, 4, 4], dequantWeight(lb), [3, 2, 3, 3], undefined, 1, 1, 1).data, 'yb');
  const other = layer('cb', 'conv', 'cb', 'x', 'yb', 'wb', wb, 0, 8, { ...a, bits: 3 });
  assert.throws(() => toQdqModel(qmodel(prepared, [la, other])), (e: Error) => e instanceof UserError && /fake-quantized twice/.test(e.message));
});

test('int4 weight storage at opset 21: onnxruntime runs it and matches the int8-container model', async () => {
  const w = floatTensor([3, 2, 3, 3], randArr(54));
  const prepared = buildModel({
    inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
    outputs: [{ name: 'y' }],
    initializers: { w },
    nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'] }],
  });
  const a: ActQuant = { bits: 4, signed: false, scale: 0.1, zeroPoint: 0 };
  const l = layer('c', 'conv', 'c', 'x', 'y', 'w', w, 0, 4, a);
  const m4 = toQdqModel(qmodel(prepared, [l]), { int4: true });
  assert.is(defaultOpset(m4), 21);
  assert.is(new GraphView(m4).initializerType('w_quantized'), DataType.INT4);
  const x = randArr(32, -0.5, 2);
  const want = conv2d(fq(x, a), [1, 2, 4, 4], dequantWeight(l), [3, 2, 3, 3], undefined, 1, 0, 1);
  const got = await run(encodeModel(m4), x, [1, 2, 4, 4]);
  assertClose(got.get('y') as Float32Array, want.data, 'int4 conv');
  const wide = layer('c', 'conv', 'c', 'x', 'y', 'w', w, 0, 5, a);
  assert.throws(() => toQdqModel(qmodel(prepared, [wide]), { int4: true }), (e: Error) => e instanceof UserError && /c has 5/.test(e.message));
});

test('opset 12 -> 13: Unsqueeze/Squeeze/ReduceSum axes attributes become inputs; Upsample is refused by name', async () => {
  const w = floatTensor([4, 3], randArr(12));
  const prepared = buildModel({
    opset: 12,
    irVersion: 7,
    inputs: [{ name: 'x', dims: [1, 3] }],
    outputs: [{ name: 'y' }],
    initializers: { w },
    nodes: [
      { op: 'Unsqueeze', name: 'u', inputs: ['x'], outputs: ['x3'], attrs: { axes: attr.ints([2]) } },
      { op: 'Squeeze', name: 's', inputs: ['x3'], outputs: ['x2'], attrs: { axes: attr.ints([2]) } },
      { op: 'Gemm', name: 'fc', inputs: ['x2', 'w'], outputs: ['g'], attrs: { transB: attr.int(1) } },
      { op: 'ReduceSum', name: 'rs', inputs: ['g'], outputs: ['y'], attrs: { axes: attr.ints([1]), keepdims: attr.int(1) } },
    ],
  });
  const a: ActQuant = { bits: 8, signed: true, scale: 0.01, zeroPoint: 0 };
  const l = layer('fc', 'fc', 'fc', 'x2', 'g', 'w', w, 0, 8, a);
  const qdq = toQdqModel(qmodel(prepared, [l]));
  assert.is(defaultOpset(qdq), 13);
  for (const op of ['Unsqueeze', 'Squeeze', 'ReduceSum']) {
    const n = qdq.graph?.node?.find((k) => k.opType === op);
    assert.is(n?.input?.length, 2, `${op} takes axes as an input`);
    assert.is(n?.attribute?.filter((k) => k.name === 'axes').length, 0);
  }
  const x = randArr(3);
  const g = matmul(fq(x, a), 1, 3, dequantWeight(l), 4, true);
  const got = await run(encodeModel(qdq), x, [1, 3]);
  assertClose(got.get('y') as Float32Array, [g.reduce((s, v) => s + v, 0)], 'y');

  const up = buildModel({
    opset: 9,
    inputs: [{ name: 'x', dims: [1, 1, 2, 2] }],
    outputs: [{ name: 'y' }],
    initializers: { sc: floatTensor([4], [1, 1, 2, 2]) },
    nodes: [{ op: 'Upsample', name: 'up1', inputs: ['x', 'sc'], outputs: ['y'] }],
  });
  assert.throws(() => raiseOpset(up, 13), (e: Error) => e instanceof UserError && /up1.*Upsample/.test(e.message));
  const old = buildModel({ opset: 6, inputs: [{ name: 'x' }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  assert.throws(() => raiseOpset(old, 13), (e: Error) => e instanceof UserError && /opset 6/.test(e.message));
});

test('opset 10 Clip and Pad attributes become inputs', async () => {
  const m = buildModel({
    opset: 10,
    irVersion: 5,
    inputs: [{ name: 'x', dims: [1, 1, 2, 2] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Pad', name: 'p', inputs: ['x'], outputs: ['xp'], attrs: { pads: attr.ints([0, 0, 1, 1, 0, 0, 1, 1]), value: attr.float(0.5) } },
      { op: 'Clip', name: 'c', inputs: ['xp'], outputs: ['y'], attrs: { max: attr.float(0.75) } },
    ],
  });
  raiseOpset(m, 13);
  const clip = m.graph?.node?.find((n) => n.opType === 'Clip');
  assert.equal(clip?.input?.[1], '', 'absent min stays an omitted input');
  const got = await run(encodeModel(m), Float32Array.from([0, 1, -1, 0.6]), [1, 1, 2, 2]);
  assert.equal(Array.from(got.get('y') as Float32Array), [0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.75, 0.5, 0.5, -1, 0.6000000238418579, 0.5, 0.5, 0.5, 0.5, 0.5]);
});

withShared(test, 'MobileNetV2 (opset 12): 8-bit per-channel QDQ with every input quantized loads at opset 13 and tracks the float model', [['models', 'imagenet-mobilenetv2.onnx']], async ([path]) => {
  const prepared = loadModel(path);
  const gv = new GraphView(prepared);
  const convs = gv.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'MatMul');
  // Calibrate activation scales on one random input (max-abs), then test on others.
  const inputs = [...new Set(convs.map((n) => n.inputs[0]))];
  const calib = await openModel(withOutputs(prepared, inputs));
  const feed0 = { input: { dims: [1, 3, 224, 224], data: randArr(3 * 224 * 224, -2, 2.2) } };
  const seen = await calib.run(feed0);
  await calib.release();
  const layers: QuantLayer[] = [];
  for (const n of convs) {
    const w = gv.initializer(n.inputs[1]) as Tensor;
    const axis = n.opType === 'Conv' ? 0 : 1;
    const v = seen.get(n.inputs[0])?.data as Float32Array;
    let lo = 0;
    let hi = 0;
    for (const x of v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    const signed = lo < 0;
    const a: ActQuant = { bits: 8, signed, scale: signed ? Math.max(-lo, hi) / 127 : hi / 255, zeroPoint: 0 };
    layers.push(layer(n.name || `${n.opType}_${n.index}`, n.opType === 'Conv' ? 'conv' : 'matmul', n.name, n.inputs[0], n.outputs[0], n.inputs[1], w, axis, 8, a));
  }
  assert.is(layers.length, 53);
  const qdq = toQdqModel(qmodel(prepared, layers));
  assert.is(defaultOpset(qdq), 13);
  assert.is(countOps(qdq, 'DequantizeLinear'), 53 + 53);
  assert.is(countOps(qdq, 'QuantizeLinear'), 53);
  assert.is(countOps(qdq, 'Clip'), countOps(prepared, 'Clip'), 'the model\'s own ReLU6 Clips only: 8-bit chains need none');
  const fl = await openModel(encodeModel(prepared));
  const qm = await openModel(encodeModel(qdq), 1, 'basic');
  let agree = 0;
  const N = 4;
  try {
    for (let s = 0; s < N; s++) {
      const x = randArr(3 * 224 * 224, -2, 2.2);
      const feed = { input: { dims: [1, 3, 224, 224], data: x } };
      const yf = (await fl.run(feed)).values().next().value?.data as Float32Array;
      const yq = (await qm.run(feed)).values().next().value?.data as Float32Array;
      const argmax = (v: Float32Array): number => v.indexOf(Math.max(...v));
      if (argmax(yf) === argmax(yq)) agree++;
      const mean = (v: Float32Array): number => v.reduce((p, c) => p + c, 0) / v.length;
      const mf = mean(yf);
      const mq = mean(yq);
      let sxy = 0, sxx = 0, syy = 0;
      for (let i = 0; i < yf.length; i++) {
        sxy += (yf[i] - mf) * (yq[i] - mq);
        sxx += (yf[i] - mf) ** 2;
        syy += (yq[i] - mq) ** 2;
      }
      const corr = sxy / Math.sqrt(sxx * syy);
      assert.ok(corr > 0.99, `logits correlate (${corr.toFixed(4)})`);
    }
  } finally {
    await fl.release();
    await qm.release();
  }
  assert.ok(agree >= N - 1, `top-1 agrees on ${agree}/${N}`);
  // The metadata lists every layer and the model still decodes as ONNX.
  const meta = decodeModel(encodeModel(qdq)).metadataProps?.find((p) => p.key === 'hwq.layers');
  assert.is(JSON.parse(meta?.value ?? '[]').length, 53);
});

test.run();
