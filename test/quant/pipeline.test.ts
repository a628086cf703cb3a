// quantizeModel end to end on a float model built in code (Conv -> Relu -> Conv -> Flatten -> Gemm) with
// synthetic calibration batches: exact tflite integers on a hand-checkable layer, activation signedness, the
// first/last 8-bit rule, and the QDQ model's output against a TS forward pass of the integer model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { quantizeModel, type BiasCorrection } from '../../src/quant/quantize.js';
import { withOutputs } from '../../src/onnx/expose.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { toQdqBytes, toQdqModel } from '../../src/quant/qdq.js';
import type { ActQuant, QuantLayer } from '../../src/quant/types.js';

const C0 = 2, H = 4, W = 4, C1 = 3, C2 = 4, K = 5;
const FLAT = C2 * 2 * 2;
const LEVELS8 = [-127, -85, -42, 0, 42, 85, 127];

// conv1 weights by hand: channel c holds ((j % 7) - 3) / 10 * (c + 1), so max |w| = 0.3 (c + 1) and the tflite
// integers are round(k / 3 * 127) for k = -3..3 whatever the channel: -127, -85, -42, 0, 42, 85, 127.
const w1 = Float32Array.from({ length: C1 * C0 * 9 }, (_, i) => (((i % (C0 * 9)) % 7) - 3) / 10 * (Math.floor(i / (C0 * 9)) + 1));
const b1 = Float32Array.from([0.1, -0.2, 0.05]);
const r = rng(77);
const w2 = Float32Array.from({ length: C2 * C1 * 9 }, () => r() - 0.5);
const b2 = Float32Array.from({ length: C2 }, () => 0.2 * (r() - 0.5));
const w3 = Float32Array.from({ length: FLAT * K }, () => r() - 0.5); // [FLAT, K], transB = 0: channels on axis 1
const b3 = Float32Array.from({ length: K }, () => 0.1 * (r() - 0.5));

function floatModel() {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', C0, H, W] }],
    outputs: [{ name: 'y', dims: ['N', K] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Flatten', name: 'flat', inputs: ['c2'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'w3', 'b3'], outputs: ['y'] },
    ],
    initializers: {
      w1: floatTensor([C1, C0, 3, 3], w1), b1: floatTensor([C1], b1),
      w2: floatTensor([C2, C1, 3, 3], w2), b2: floatTensor([C2], b2),
      w3: floatTensor([FLAT, K], w3), b3: floatTensor([K], b3),
    },
  });
}

/** Deterministic calibration images: 3 batches of 4, values in [-2, 2). */
function calibData(): Float32Array[] {
  const g = rng(5);
  return [0, 1, 2].map(() => Float32Array.from({ length: 4 * C0 * H * W }, () => 4 * g() - 2));
}

async function* calibBatches(): AsyncGenerator<Batch> {
  let start = 0;
  for (const data of calibData()) {
    yield { start, count: 4, data, labels: new Int32Array(4) };
    start += 4;
  }
}

const quantize = (aBits: number | null, wBits: number, firstLast: number | null, biasCorrection?: BiasCorrection) => quantizeModel(floatModel(), 'test', 'test', {
  aBits, wBits, firstLast, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2 }, biasCorrection,
  calibration: { batches: calibBatches, count: 3, inputDims: (b) => [b.count, C0, H, W] },
});

// ---- the TS reference: float64 arithmetic on float32 operands ----

function conv(x: Float64Array, n: number, c: number, h: number, w: number, wt: Float32Array, o: number, bias: Float32Array, stride: number): { y: Float64Array; oh: number; ow: number } {
  const oh = Math.floor((h + 2 - 3) / stride) + 1, ow = Math.floor((w + 2 - 3) / stride) + 1;
  const y = new Float64Array(n * o * oh * ow);
  for (let b = 0; b < n; b++) for (let oc = 0; oc < o; oc++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    let s = bias[oc];
    for (let ic = 0; ic < c; ic++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += x[((b * c + ic) * h + iy) * w + ix] * wt[((oc * c + ic) * 3 + ky) * 3 + kx];
    }
    y[((b * o + oc) * oh + oy) * ow + ox] = s;
  }
  return { y, oh, ow };
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** Clip to the b-bit range, round to the grid, back to float: what Clip -> QuantizeLinear -> DequantizeLinear does. */
function fakeQuant(v: Float64Array, a: ActQuant): Float64Array {
  const qmin = a.signed ? -(2 ** (a.bits - 1)) : 0;
  const qmax = a.signed ? 2 ** (a.bits - 1) - 1 : 2 ** a.bits - 1;
  const s = Math.fround(a.scale);
  return v.map((x) => Math.fround(Math.min(qmax, Math.max(qmin, roundHalfEven(Math.fround(Math.fround(x) / s)))) * s));
}

function dequant(l: QuantLayer): Float32Array {
  const oc = l.weightShape[l.channelAxis];
  const per = l.wInt.length / oc;
  return Float32Array.from(l.wInt, (q, i) => Math.fround(q * l.wScales[l.channelAxis === 0 ? Math.floor(i / per) : i % oc]));
}

function reference(x: Float32Array, n: number, layers: QuantLayer[]): Float64Array {
  const [l1, l2, l3] = layers;
  const a = conv(fakeQuant(Float64Array.from(x), l1.act!), n, C0, H, W, dequant(l1), C1, l1.bias!, 1);
  const relu = a.y.map((v) => Math.max(0, Math.fround(v)));
  const c2 = conv(fakeQuant(relu, l2.act!), n, C1, H, W, dequant(l2), C2, l2.bias!, 2);
  const f = fakeQuant(c2.y, l3.act!);
  const wq = dequant(l3);
  const y = new Float64Array(n * K);
  for (let b = 0; b < n; b++) for (let k = 0; k < K; k++) {
    let s = l3.bias![k];
    for (let i = 0; i < FLAT; i++) s += f[b * FLAT + i] * wq[i * K + k];
    y[b * K + k] = s;
  }
  return y;
}

test('tflite weights of the hand-built first layer are the exact expected integers', async () => {
  const { model } = await quantize(4, 4, 8);
  const l = model.layers[0];
  assert.is(l.name, 'conv1');
  assert.is(l.wBits, 8);
  assert.equal([...l.wInt], Array.from({ length: w1.length }, (_, i) => LEVELS8[(i % (C0 * 9)) % 7]));
  assert.equal([...l.wScales].map((s) => +s.toPrecision(6)), [1, 2, 3].map((c) => +Math.fround(0.3 * c / 127).toPrecision(6)));
  // The 4-bit middle layer: every integer within -7..7 and each channel reaching +-7 (its max maps to the top).
  const m = model.layers[1];
  const per = m.wInt.length / C2;
  for (let c = 0; c < C2; c++) {
    const ch = [...m.wInt.subarray(c * per, (c + 1) * per)];
    assert.ok(ch.every((v) => v >= -7 && v <= 7), `channel ${c} within 4 bits`);
    assert.is(Math.max(...ch.map(Math.abs)), 7, `channel ${c} uses the top level`);
  }
});

test('input activation signed at the image, unsigned after Relu; tflite scale = calibrated max / levels', async () => {
  const { model, report } = await quantize(4, 4, 8);
  const [l1, l2, l3] = model.layers;
  let maxAbs = 0;
  for (const d of calibData()) for (const v of d) maxAbs = Math.max(maxAbs, Math.abs(v));
  assert.equal({ bits: l1.act!.bits, signed: l1.act!.signed, zp: l1.act!.zeroPoint }, { bits: 8, signed: true, zp: 0 });
  assert.ok(Math.abs(l1.act!.scale - maxAbs / 127) < 1e-12, `input scale ${l1.act!.scale} vs ${maxAbs / 127}`);
  assert.equal({ bits: l2.act!.bits, signed: l2.act!.signed }, { bits: 4, signed: false });
  // The Relu output's maximum, from the float forward pass of the calibration images.
  let reluMax = 0;
  for (const d of calibData()) for (const v of conv(Float64Array.from(d), 4, C0, H, W, w1, C1, b1, 1).y) reluMax = Math.max(reluMax, v);
  assert.ok(Math.abs(l2.act!.scale - reluMax / 15) < 1e-6 * reluMax, `relu scale ${l2.act!.scale} vs ${reluMax / 15}`);
  assert.equal({ bits: l3.act!.bits, signed: l3.act!.signed }, { bits: 8, signed: true });
  assert.equal(report.map((x) => [x.name, x.wBits, x.aBits, x.aSigned]), [['conv1', 8, 8, true], ['conv2', 4, 4, false], ['fc', 8, 8, true]]);
});

test('first/last rule: none keeps every layer at the requested bits; weight-only leaves activations float', async () => {
  const none = await quantize(4, 3, null);
  assert.equal(none.model.layers.map((l) => [l.wBits, l.act?.bits]), [[3, 4], [3, 4], [3, 4]]);
  assert.ok(none.model.layers.every((l) => [...l.wInt].every((v) => v >= -4 && v <= 3)), '3-bit integers');
  const six = await quantize(4, 4, 6);
  assert.equal(six.model.layers.map((l) => [l.wBits, l.act?.bits]), [[6, 6], [4, 4], [6, 6]]);
  const wOnly = await quantize(null, 4, 8);
  assert.equal(wOnly.model.layers.map((l) => [l.wBits, l.act]), [[8, undefined], [4, undefined], [8, undefined]]);
  assert.is(wOnly.model.actMethod, 'none');
});

test('QDQ model output equals the TS forward pass of the integer model at every optimization level (1e-4 relative)', async () => {
  // A4W4 with 8-bit edges, and A3W3 everywhere (signed 3-bit chains): onnxruntime's integer kernels would
  // saturate on AVX2 machines; the sessions fold the weight dequantization so every level computes the graph.
  for (const [a, w, edges] of [[4, 4, 8], [3, 3, null]] as const) {
    const { model } = await quantize(a, w, edges);
    const g = rng(99);
    const n = 3;
    const x = Float32Array.from({ length: n * C0 * H * W }, () => 4 * g() - 2);
    const want = reference(x, n, model.layers);
    const scale = Math.max(...want.map(Math.abs));
    for (const level of ['basic', 'all'] as const) {
      const ort = await openModel(toQdqBytes(model), 1, level);
      try {
        const got = (await ort.run({ x: { dims: [n, C0, H, W], data: x } })).get('y')!.data as Float32Array;
        assert.is(got.length, want.length);
        for (let i = 0; i < want.length; i++) {
          assert.ok(Math.abs(got[i] - want[i]) <= 1e-4 * scale, `A${a}W${w} at ${level}: y[${i}] = ${got[i]}, reference ${want[i]}`);
        }
        // And quantization changed something: the float model's output differs from the QDQ one.
        const fl = await openModel(encodeModel(floatModel()), 1);
        const yf = (await fl.run({ x: { dims: [n, C0, H, W], data: x } })).get('y')!.data as Float32Array;
        await fl.release();
        assert.ok(yf.some((v, i) => Math.abs(v - got[i]) > 1e-3 * scale), 'the quantized model differs from the float one');
      } finally {
        await ort.release();
      }
    }
  }
});

/** Per-channel means of each layer output (c1, c2, y) over the calibration images. */
async function outputMeans(model: ModelProto): Promise<number[][]> {
  const names = ['c1', 'c2', 'y'];
  const m = await openModel(withOutputs(model, names), 1, 'basic');
  const sums = names.map(() => [] as number[]);
  let images = 0;
  try {
    for (const data of calibData()) {
      const out = await m.run({ x: { dims: [4, C0, H, W], data } }, names);
      names.forEach((t, k) => {
        const { data: v, dims } = out.get(t)!;
        const c = dims[1], inner = v.length / (dims[0] * c);
        for (let i = 0; i < v.length; i++) {
          const ch = Math.floor(i / inner) % c;
          sums[k][ch] = (sums[k][ch] ?? 0) + (v[i] as number) / inner;
        }
      });
      images += 4;
    }
  } finally {
    await m.release();
  }
  return sums.map((s) => s.map((v) => v / images));
}

test('empirical bias correction: every layer\'s mean output on the calibration set equals the float model\'s', async () => {
  const want = await outputMeans(floatModel());
  const plain = await outputMeans(toQdqModel((await quantize(3, 3, null)).model));
  const { model } = await quantize(3, 3, null, 'empirical');
  const got = await outputMeans(toQdqModel(model));
  const scale = Math.max(...want.flat().map(Math.abs));
  const worst = (m: number[][]) => Math.max(...m.flatMap((l, k) => l.map((v, c) => Math.abs(v - want[k][c]))));
  assert.ok(worst(plain) > 1e-2 * scale, `3-bit quantization shifts some mean (${worst(plain)})`);
  assert.ok(worst(got) < 1e-5 * scale, `corrected means within ${worst(got)} of the float ones`);
  // The weights and activation quantizers are the uncorrected model's: only biases change.
  const base = (await quantize(3, 3, null)).model;
  model.layers.forEach((l, i) => {
    assert.equal([...l.wInt], [...base.layers[i].wInt]);
    assert.equal(l.act, base.layers[i].act);
  });
});

test.run();
