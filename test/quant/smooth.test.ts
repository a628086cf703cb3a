// Activation smoothing (--smooth): the per-channel scales, their fold into the weights before the fit, the
// activation quantizer of the divided input calibrated after it, and the option's errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { openModel } from '../../src/onnx/run.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { type QuantizeOptions, quantizeModel } from '../../src/quant/quantize.js';
import { toQdqModel } from '../../src/quant/qdq.js';
import { channelMaxAbs, smoothingScales, weightMaxAbsPerInput } from '../../src/quant/smooth.js';
import { SMOOTH_CANDIDATES, chooseSmoothing, smoothedLayerError } from '../../src/quant/smooth-search.js';
import { bestClipValues } from '../../src/quant/clip-search.js';
import { positiveLevels } from '../../src/intmodel/grid.js';
import { fakeQuantize } from '../../src/quant/qdq.js';
import type { LayerSite } from '../../src/quant/prepare.js';
import { formatQuantReport } from '../../src/cli/commands/quantize.js';
import type { LayerData } from '../../src/quant/layer-data.js';
import type { QuantModel } from '../../src/quant/types.js';

test('smoothing scales: a^alpha / w^(1-alpha), geometric mean 1, 1 for dead channels', () => {
  const a = [1, 4, 16, 0];
  const w = [1, 1, 4, 2];
  const half = smoothingScales(a, w, 0.5);
  // raw: 1, 2, 2, dead -> geometric mean of the live ones 4^(1/3)
  const g = Math.cbrt(4);
  [1 / g, 2 / g, 2 / g, 1].forEach((v, c) => assert.ok(Math.abs(half[c] - v) < 1e-6, `alpha 0.5 channel ${c}: ${half[c]}`));
  const full = smoothingScales(a, w, 1);
  assert.ok(Math.abs(full[2] / full[0] - 16) < 1e-4, 'alpha 1 follows the activation ranges (ECAQ)');
  const none = smoothingScales([1, 2, 3], [0, 1, 1], 0.5);
  assert.is(none[0], 1, 'a channel no weight reads keeps scale 1');
});

test('channel ranges from the sampled patches and the weights reading each channel, with groups', () => {
  // two groups of two input channels, window 2 (D = 4 per group), two samples
  const data = {
    N: 2, D: 4, OC: 1,
    groups: [{ X: Float32Array.from([1, -5, 2, 0, 0, 3, -1, 7]) }, { X: Float32Array.from([0, 0, 0, 0, 0.5, 0, 0, -0.25]) }],
  } as unknown as LayerData;
  assert.equal(Array.from(channelMaxAbs(data, 4)), [5, 7, 0.5, 0.25]);
  // conv [oc 4][icg 2][1][2]: group 0 = output channels 0-1 reading inputs 0-1
  const weights = Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 2);
  const conv = weightMaxAbsPerInput({ kind: 'conv', weights, weightShape: [4, 2, 1, 2], channelAxis: 0 }, 4);
  const want = [0, 1, 2, 3].map((ch) => {
    const g = Math.floor(ch / 2), c = ch % 2;
    let m = 0;
    for (const o of [2 * g, 2 * g + 1]) for (let k = 0; k < 2; k++) m = Math.max(m, Math.abs(weights[(o * 2 + c) * 2 + k]));
    return m;
  });
  assert.equal(Array.from(conv), want);
  // Gemm [out 2][in 3] (axis 0) and [in 3][out 2] (axis 1) read input j from column j or row j
  const fc = Float32Array.from([1, -4, 2, 3, 0, -1]);
  assert.equal(Array.from(weightMaxAbsPerInput({ kind: 'fc', weights: fc, weightShape: [2, 3], channelAxis: 0 }, 3)), [3, 4, 2]);
  assert.equal(Array.from(weightMaxAbsPerInput({ kind: 'fc', weights: fc, weightShape: [3, 2], channelAxis: 1 }, 3)), [4, 3, 1]);
});

const r = rng(11);
const C0 = 3, C1 = 6, C2 = 5, C3 = 4, H = 6;
// conv1's output channel 5 is 40x the others (no ReLU: a signed stream with one outlier channel, as MobileNetV2's
// late residual stream), and pw reads it through small weights
const w1 = Float32Array.from({ length: C1 * C0 * 9 }, (_, i) => (r() - 0.5) * (Math.floor(i / (C0 * 9)) === C1 - 1 ? 40 : 1));
const w2 = Float32Array.from({ length: C2 * C1 }, (_, i) => (r() - 0.5) * (i % C1 === C1 - 1 ? 0.05 : 1));
const w3 = Float32Array.from({ length: C3 * C2 }, () => r() - 0.5);
const model = buildModel({
  inputs: [{ name: 'x', dims: ['N', C0, H, H] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Conv', name: 'pw', inputs: ['c1', 'w2'], outputs: ['p'] },
    { op: 'Conv', name: 'out', inputs: ['p', 'w3'], outputs: ['y'] },
  ],
  initializers: { w1: floatTensor([C1, C0, 3, 3], w1), w2: floatTensor([C2, C1, 1, 1], w2), w3: floatTensor([C3, C2, 1, 1], w3) },
});
const batches: Batch[] = [0, 1].map((k) => ({ start: 4 * k, count: 4, data: Float32Array.from({ length: 4 * C0 * H * H }, () => r() * 2 - 1), labels: new Int32Array(4) }));
const after: QuantizeOptions = {
  aBits: 4, wBits: 8, firstLast: null, weightMethod: 'bitsplit', actMethod: 'mse', methodOptions: { p: 2 },
  calibration: { batches: async function* () { yield* batches; }, count: 2, inputDims: (b) => [b.count, C0, H, H] },
  reconstruction: { positions: 1000, floatInputs: false, seed: 1, actFit: 'after' },
};

/** Squared error of pw's output against the float model's, relative to its mean square. */
async function pwError(q: QuantModel): Promise<number> {
  const run = async (m: ModelProto) => {
    const s = await openModel(withOutputs(m, ['p']), 1, 'basic');
    const p = (await s.run({ x: { dims: [4, C0, H, H], data: batches[1].data } }, ['p'])).get('p')!.data as Float32Array;
    await s.release();
    return p;
  };
  const [f, qp] = [await run(model), await run(toQdqModel(q))];
  let err = 0, ms = 0;
  f.forEach((v, i) => {
    err += (v - qp[i]) ** 2;
    ms += v * v;
  });
  return err / ms;
}

test('smoothing divides the middle layer\'s input per channel, keeps the function, and lowers its error', async () => {
  const plain = await quantizeModel(model, 'm', 'm', after);
  const smooth = await quantizeModel(model, 'm', 'm', { ...after, smooth: 0.5 });
  const [l1, l2, l3] = smooth.model.layers;
  assert.not.ok(l1.act?.channelScales, 'the first layer is left alone');
  assert.not.ok(l3.act?.channelScales, 'the last layer is left alone');
  const s = l2.act!.channelScales!;
  assert.is(s.length, C1);
  assert.ok(s.slice(0, C1 - 1).every((v) => s[C1 - 1] > 20 * v), `the outlier channel gets the largest divisor: ${Array.from(s)}`);
  assert.is(l2.act!.bits, 4, 'the stand-in quantizer of the weight-only pass is replaced');
  // dequantized folded weights / s give the float weights back (8-bit weights: within a few percent of the largest)
  const per = C1;
  let worst = 0, top = 0;
  for (let o = 0; o < C2; o++) for (let c = 0; c < C1; c++) {
    const wq = (l2.wInt[o * per + c] * l2.wScales[o]) / s[c];
    worst = Math.max(worst, Math.abs(wq - w2[o * per + c]));
    top = Math.max(top, Math.abs(w2[o * per + c]));
  }
  assert.ok(worst < 0.05 * top, `unfolded weights within ${worst} of the float ones (largest ${top})`);
  const [e0, e1] = [await pwError(plain.model), await pwError(smooth.model)];
  assert.ok(e1 < e0 / 2, `pw output error ${e1} smoothed, ${e0} without`);
});

/** The proxy error written out sample by sample: x / s at aBits (MSE clip over all values), w * s rounded per
 *  output channel at wBits (MSE clip), squared output error per sample summed over output channels. */
function directError(X: Float32Array, Y: Float32Array, W: Float32Array, N: number, D: number, OC: number, s: Float32Array, aBits: number, wBits: number): number {
  const xs = X.map((v, i) => Math.fround(v * Math.fround(1 / s[i % D])));
  const aLevels = positiveLevels(aBits, true);
  const act = { bits: aBits, signed: true, scale: bestClipValues(xs, aLevels, 2) / aLevels, zeroPoint: 0 };
  const xq = xs.map((v) => fakeQuantize(v, act));
  const wLevels = positiveLevels(wBits, true);
  const wq = new Float64Array(OC * D);
  for (let c = 0; c < OC; c++) {
    const row = W.slice(c * D, (c + 1) * D).map((v, d) => v * s[d]);
    const step = bestClipValues(row, wLevels, 2) / wLevels;
    row.forEach((v, d) => (wq[c * D + d] = Math.max(-wLevels, Math.min(wLevels, Math.round(v / step))) * step));
  }
  let e = 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < OC; c++) {
    let y = 0;
    for (let d = 0; d < D; d++) y += xq[n * D + d] * wq[c * D + d];
    e += (Y[n * OC + c] - y) ** 2;
  }
  return e / N;
}

test('--smooth auto: the proxy error is the layer\'s output error with both sides quantized, and the lowest candidate wins', async () => {
  const rs = rng(5);
  const N = 300, D = 6, OC = 4;
  // channel 0 is an outlier 30x the others; the weights reading it are small
  const X = Float32Array.from({ length: N * D }, (_, i) => (rs() - 0.5) * (i % D === 0 ? 30 : 1));
  const W = Float32Array.from({ length: OC * D }, (_, i) => (rs() - 0.5) * (i % D === 0 ? 0.05 : 1));
  const Y = new Float32Array(N * OC);
  for (let n = 0; n < N; n++) for (let c = 0; c < OC; c++) for (let d = 0; d < D; d++) Y[n * OC + c] += X[n * D + d] * W[c * D + d];
  const site = { kind: 'conv', weights: W, weightShape: [OC, D, 1, 1], channelAxis: 0, unsignedInput: false } as unknown as LayerSite;
  const data = { N, D, OC, groups: [{ X, Y }] } as LayerData;
  const ones = new Float32Array(D).fill(1);
  const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(b, 1e-9), `${what}: ${a} vs ${b}`);
  near(await smoothedLayerError(site, data, null, 4, 4), directError(X, Y, W, N, D, OC, ones, 4, 4), 'unsmoothed');
  const s = smoothingScales(channelMaxAbs(data, D), weightMaxAbsPerInput(site, D), 0.5);
  near(await smoothedLayerError(site, data, s, 4, 4), directError(X, Y, W, N, D, OC, s, 4, 4), 'alpha 0.5');
  const before = Float32Array.from(X);
  const choice = await chooseSmoothing(site, data, D, 4, 8);
  assert.equal(Array.from(X), Array.from(before), 'the patches are left as they were');
  assert.is(choice.errors.length, SMOOTH_CANDIDATES.length);
  const best = choice.errors.indexOf(Math.min(...choice.errors));
  assert.is(choice.alpha, SMOOTH_CANDIDATES[best]);
  assert.ok(choice.alpha !== null, `4-bit inputs with a 30x outlier channel and 8-bit weights are worth smoothing: ${choice.errors}`);
});

test('--smooth auto picks a strength for the layer that reads the outlier channel and reports it', async () => {
  const plain = await quantizeModel(model, 'm', 'm', after);
  const auto = await quantizeModel(model, 'm', 'm', { ...after, smooth: 'auto' });
  assert.is(auto.report[0].smoothAlpha, undefined, 'the first layer is not a candidate');
  assert.is(auto.report[2].smoothAlpha, undefined, 'the last layer is not a candidate');
  const alpha = auto.report[1].smoothAlpha;
  assert.ok(typeof alpha === 'number' && SMOOTH_CANDIDATES.includes(alpha), `pw smoothed: ${alpha}`);
  assert.ok(auto.model.layers[1].act?.channelScales, 'the chosen scales reach the activation quantizer');
  const [e0, e1] = [await pwError(plain.model), await pwError(auto.model)];
  assert.ok(e1 < e0 / 2, `pw output error ${e1} smoothed, ${e0} without`);
});

test('the per-layer table shows the smoothing only when it ran: blank where not a candidate, none where not chosen', async () => {
  const auto = await quantizeModel(model, 'm', 'm', { ...after, smooth: 'auto' });
  const rows = auto.report.map((r, i) => (i === 1 ? r : { ...r, smoothAlpha: i === 2 ? null : undefined }));
  const lines = formatQuantReport(rows).split('\n');
  assert.match(lines[0], /smooth/);
  assert.match(lines.find((l) => l.startsWith('pw'))!, new RegExp(` ${auto.report[1].smoothAlpha} `));
  assert.match(lines.find((l) => l.startsWith('out'))!, / none /);
  const plain = await quantizeModel(model, 'm', 'm', after);
  assert.not.match(formatQuantReport(plain.report), /smooth/);
});

test('--smooth: the errors name what is wrong', async () => {
  const fails = async (o: QuantizeOptions, re: RegExp) => {
    const err = await quantizeModel(model, 'm', 'm', o).then(() => null, (e: Error) => e);
    assert.match(err?.message ?? 'no error', re);
  };
  await fails({ ...after, smooth: 0 }, /alpha must be in \(0, 1\]/);
  await fails({ ...after, smooth: 1.5 }, /alpha must be in \(0, 1\]/);
  await fails({ ...after, smooth: 0.5, aBits: null }, /needs activation bits/);
  await fails({ ...after, smooth: 0.5, reconstruction: { ...after.reconstruction!, actFit: 'quantized' } }, /--act-fit after/);
  await fails({ ...after, smooth: 0.5, weightMethod: 'tflite' }, /not weight method tflite/);
  await fails({ ...after, smooth: 0.5, actMethod: 'lapq' }, /not with LAPQ/);
});

test.run();
