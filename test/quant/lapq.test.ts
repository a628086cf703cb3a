// LAPQ: Powell's method and its line search on analytic functions, the quadratic fit of L(p), the losses,
// the scale-input QDQ model (fed scales and weights) against the constant QDQ model, lapqOptimize on a small
// synthetic classifier, and on the real ResNet-20 at A4W4 (data-backed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng, withShared } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { batches } from '../../src/data/batches.js';
import { openDataSet } from '../../src/data/dataset.js';
import { PRESETS } from '../../src/data/preprocess.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { type ModelProto, decodeModel, encodeModel, loadModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { channelMeanOf, correctedBias } from '../../src/quant/bias-correction.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { prepareModel } from '../../src/quant/prepare.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { scaleInputFeeds, scaleInputNames, toQdqBytes, toQdqModel } from '../../src/quant/qdq.js';
import type { QuantModel } from '../../src/quant/types.js';
import { ClipSpace } from '../../src/quant/lapq/clips.js';
import { LossEvaluator, imageChunks } from '../../src/quant/lapq/evaluator.js';
import { lapqOptimize } from '../../src/quant/lapq/lapq.js';
import { crossEntropySum, klSum, logSoftmax } from '../../src/quant/lapq/loss.js';
import { lineMinimize, powell } from '../../src/quant/lapq/powell.js';
import { fitQuadratic } from '../../src/quant/lapq/quadratic.js';

// ---- Powell ----

test('Powell reaches the minimum of a non-separable convex quadratic in 5-D', async () => {
  const c = [1, -2, 0.5, 3, -1];
  // A = L L^T + I with a dense L: strongly coupled coordinates, condition number ~ 30.
  const L = [[1, 0, 0, 0, 0], [0.9, 1, 0, 0, 0], [0.5, -0.7, 1, 0, 0], [1.2, 0.3, -0.8, 1, 0], [-0.4, 1.1, 0.6, -0.9, 1]];
  const A = L.map((row, i) => L.map((r2, j) => row.reduce((s, v, k) => s + v * r2[k], 0) + (i === j ? 1 : 0)));
  let calls = 0;
  const f = (x: Float64Array): number => {
    calls++;
    let s = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) s += (x[i] - c[i]) * A[i][j] * (x[j] - c[j]);
    return s + 7;
  };
  const r = await powell(f, [0, 0, 0, 0, 0], { xtol: 1e-6, ftol: 1e-12, maxIter: 50, maxEvals: 5000, lineEvals: 60 });
  assert.is(r.evaluations, calls);
  assert.ok(r.fx - 7 < 1e-9, `f - min = ${r.fx - 7}`);
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(r.x[i] - c[i]) < 1e-4, `x[${i}] = ${r.x[i]} vs ${c[i]}`);
  assert.is(r.f0, f(new Float64Array(5)));
  // never worse than the start, and the history is monotone
  for (let k = 1; k < r.history.length; k++) assert.ok(r.history[k].fx <= r.history[k - 1].fx);
});

test('Powell improves the Rosenbrock function substantially and respects its evaluation budget', async () => {
  const rosen = (x: Float64Array): number => {
    let s = 0;
    for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
    return s;
  };
  const r = await powell(rosen, [-1.2, 1], { maxEvals: 3000, maxIter: 200, xtol: 1e-7, ftol: 1e-14, lineEvals: 60 });
  assert.is(r.f0, 24.199999999999996);
  assert.ok(r.fx < 1e-6, `Rosenbrock 2-D ends at ${r.fx}`);
  assert.ok(Math.abs(r.x[0] - 1) < 1e-2 && Math.abs(r.x[1] - 1) < 2e-2, `x = ${[...r.x]}`);
  const r4 = await powell(rosen, [-1.2, 1, -1.2, 1], { maxEvals: 400, maxIter: 100, xtol: 1e-4, lineEvals: 30 });
  assert.ok(r4.evaluations <= 400, `${r4.evaluations} evaluations`);
  assert.ok(r4.fx < r4.f0 / 20, `Rosenbrock 4-D from ${r4.f0} to ${r4.fx}`);
});

test('line search finds a parabola vertex behind the start and returns t = 0 when nothing is lower', async () => {
  const g = async (t: number) => (t + 0.7) ** 2 + 1;
  const r = await lineMinimize(g, 1.49, { xtol: 1e-6, step: 0.1, lineEvals: 60, maxStep: 100 });
  assert.ok(Math.abs(r.t + 0.7) < 1e-5, `t = ${r.t}`);
  const flatMin = await lineMinimize(async (t) => t * t, 0, { xtol: 1e-3, step: 0.1, lineEvals: 60, maxStep: 100 });
  assert.is(flatMin.t, 0);
  assert.is(flatMin.ft, 0);
  const capped = await lineMinimize(async (t) => (t - 5) ** 2, 25, { xtol: 1e-3, step: 0.1, lineEvals: 4, maxStep: 100 });
  assert.is(capped.evaluations, 4);
  assert.ok(capped.ft < 25);
});

// ---- quadratic fit ----

test('quadratic fit recovers an exact parabola and picks its vertex; clamps and falls back otherwise', () => {
  const ps = [2, 2.5, 3, 3.5, 4];
  const f = fitQuadratic(ps, ps.map((p) => 2 * (p - 2.7) ** 2 + 1));
  assert.ok(Math.abs(f.a - 2) < 1e-9 && Math.abs(f.b + 10.8) < 1e-9 && Math.abs(f.c - (2 * 2.7 ** 2 + 1)) < 1e-9, JSON.stringify(f));
  assert.ok(f.convex);
  assert.ok(Math.abs(f.pStar - 2.7) < 1e-12, `p* = ${f.pStar}`);
  assert.is(fitQuadratic(ps, ps.map((p) => (p - 9) ** 2)).pStar, 4);
  const concave = fitQuadratic(ps, [3, 5, 6, 5.5, 2.5]);
  assert.is(concave.convex, false);
  assert.is(concave.pStar, 4);
});

// ---- losses ----

test('cross-entropy and KL divergence of known logits', () => {
  const logits = Float32Array.of(0, 0, 2, 1, 0, 0);
  const ce = crossEntropySum(logits, 3, Int32Array.of(1, 1));
  const row0 = Math.log(1 + 1 + Math.exp(2));
  const row1 = Math.log(Math.exp(1) + 2) - 0;
  assert.ok(Math.abs(ce - (row0 + row1)) < 1e-12, `${ce}`);
  assert.is(klSum(logSoftmax(logits, 3), logits, 3), 0);
  const ref = logSoftmax(Float32Array.of(0, 0), 2);
  const kl = klSum(ref, Float32Array.of(Math.log(3), 0), 2);
  assert.ok(Math.abs(kl - (0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(0.5 / 0.25))) < 1e-7, `${kl}`);
  assert.is(crossEntropySum(Float32Array.of(NaN, 0), 2, Int32Array.of(1)), Infinity);
});

test('imageChunks regroups the first images of the batches into runs', () => {
  const mk = (start: number, count: number): Batch => ({
    start,
    count,
    data: Float32Array.from({ length: count * 2 }, (_, i) => start * 2 + i),
    labels: Int32Array.from({ length: count }, (_, i) => start + i),
  });
  const ch = imageChunks([mk(0, 3), mk(3, 3), mk(6, 3)], 7, 4, 2);
  assert.equal(ch.map((c) => c.count), [4, 3]);
  assert.equal([...ch[0].labels, ...ch[1].labels], [0, 1, 2, 3, 4, 5, 6]);
  assert.equal([...ch[1].data], [8, 9, 10, 11, 12, 13]);
});

// ---- a small synthetic classifier ----

const C0 = 3, HW = 6, C1 = 8, C2 = 8, K = 10, FLAT = C2 * 3 * 3;

function classifier(seed: number): ModelProto {
  const g = rng(seed);
  const u = (n: number, s: number) => Float32Array.from({ length: n }, () => s * (2 * g() - 1));
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', C0, HW, HW] }],
    outputs: [{ name: 'y', dims: ['N', K] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] },
      { op: 'Flatten', name: 'flat', inputs: ['r2'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'w3', 'b3'], outputs: ['y'] },
    ],
    initializers: {
      w1: floatTensor([C1, C0, 3, 3], u(C1 * C0 * 9, 0.5)), b1: floatTensor([C1], u(C1, 0.1)),
      w2: floatTensor([C2, C1, 3, 3], u(C2 * C1 * 9, 0.3)), b2: floatTensor([C2], u(C2, 0.1)),
      w3: floatTensor([FLAT, K], u(FLAT * K, 0.4)), b3: floatTensor([K], u(K, 0.1)),
    },
  });
}

const DIMS = [C0, HW, HW];
const SIZE = C0 * HW * HW;

/** Random images (heavy-tailed, so clipping matters) labelled by the float model's argmax. */
async function labelledBatches(model: ModelProto, count: number, per: number, seed: number): Promise<Batch[]> {
  const g = rng(seed);
  const s = await openModel(encodeModel(model), 1, 'basic');
  const out: Batch[] = [];
  try {
    for (let start = 0; start < count; start += per) {
      const n = Math.min(per, count - start);
      const data = Float32Array.from({ length: n * SIZE }, () => { const v = 2 * g() - 1; return v * v * v * 3; });
      const y = (await s.run({ x: { dims: [n, ...DIMS], data } })).get('y')!.data as Float32Array;
      const labels = Int32Array.from({ length: n }, (_, i) => { let b = 0; for (let k = 1; k < K; k++) if (y[i * K + k] > y[i * K + b]) b = k; return b; });
      out.push({ start, count: n, data, labels });
    }
  } finally {
    await s.release();
  }
  return out;
}

const lpModel = (src: ModelProto, cal: Batch[], aBits: number | null, wBits: number, firstLast: number | null) => quantizeModel(src, 'syn', 'syn', {
  aBits, wBits, firstLast, weightMethod: 'lp', actMethod: 'lp', methodOptions: { p: 2.4 },
  calibration: { batches: async function* () { yield* cal; }, count: cal.length, inputDims: (b) => [b.count, ...DIMS] },
});

async function outputs(bytes: Uint8Array, data: Float32Array, n: number, extra = {}): Promise<Float32Array> {
  const s = await openModel(bytes, 1, 'basic');
  try {
    return (await s.run({ ...extra, x: { dims: [n, ...DIMS], data } })).get('y')!.data as Float32Array;
  } finally {
    await s.release();
  }
}

test('scale-input QDQ model fed the quantizer\'s values equals the constant QDQ model exactly, also after a clip change', async () => {
  const src = classifier(11);
  const cal = await labelledBatches(src, 24, 8, 3);
  // conv1 and fc at 8 bits (no Clip on their inputs), conv2 at 3 bits (Clip fed too)
  const { model } = await lpModel(src, cal, 3, 3, 8);
  const m = toQdqModel(model, { scaleInputs: true });
  const names = scaleInputNames(m);
  assert.equal(names.map((n) => [n.layer, !!n.act, !!n.act?.clipMin]), [['conv1', true, false], ['conv2', true, true], ['fc', true, false]]);
  assert.ok(names.every((n) => n.bias), 'every layer\'s bias is fed');
  const fedNames = new Set(names.flatMap((n) => [n.weight, n.weightScale, n.bias, n.act?.scale, n.act?.clipMin, n.act?.clipMax].filter(Boolean)));
  assert.ok(!(m.graph!.initializer ?? []).some((t) => fedNames.has(t.name ?? '')), 'fed values are not initializers');
  const bytes = encodeModel(m);
  const x = cal.map((b) => b.data);
  const data = new Float32Array(24 * SIZE);
  x.forEach((d, i) => data.set(d, i * 8 * SIZE));
  const check = async (q: QuantModel, what: string) => {
    const want = await outputs(toQdqBytes(q), data, 24);
    const got = await outputs(bytes, data, 24, scaleInputFeeds(q, names));
    assert.is(got.length, 24 * K);
    let diff = 0;
    for (let i = 0; i < want.length; i++) if (!Object.is(want[i], got[i])) diff++;
    assert.is(diff, 0, `${what}: ${diff} outputs differ`);
  };
  await check(model, 'pipeline model');
  // Different clips and re-rounded weights through the same session inputs.
  const space = new ClipSpace(model);
  const st = space.lpState(3.5, new Map([
    ['x', { min: -3, max: 3, count: 1, sample: Float32Array.of(-3, -1, 0, 0.5, 3) }],
    ['r1', { min: 0, max: 2, count: 3, sample: Float32Array.of(0, 1, 2) }],
    ['f', { min: 0, max: 1, count: 2, sample: Float32Array.of(0, 1) }],
  ]));
  const moved = space.model(space.fromVector(st, space.params(true), space.toVector(st, space.params(true)).map((v, i) => v + (i % 2 ? -0.3 : 0.2))));
  assert.not.equal([...moved.layers[1].wInt], [...model.layers[1].wInt]);
  await check(moved, 'moved clips');
  await check({ ...moved, layers: moved.layers.map((l) => ({ ...l, bias: l.bias!.map((v, c) => v + 0.05 * (c % 3)) })) }, 'changed biases');
});

test('LAPQ with bias correction: each layer\'s bias is corrected for the weights the search ends with', async () => {
  const src = classifier(52);
  const cal = await labelledBatches(src, 64, 32, 9);
  const calibration = { batches: async function* () { yield* cal; }, count: cal.length, inputDims: (b: Batch) => [b.count, ...DIMS] };
  const { model } = await quantizeModel(src, 'syn', 'syn', {
    aBits: 3, wBits: 3, firstLast: null, weightMethod: 'lapq', actMethod: 'lapq', methodOptions: { p: 2.4 }, calibration,
    biasCorrection: 'weights', lapq: { labels: true, maxEvals: 40, images: 64 },
  });
  const sites = prepareModel(src, 'syn').layers;
  const stats = await calibrate(model.prepared, sites.map((s) => s.inputTensor), calibration.batches(), calibration.inputDims, { sampleCap: 1 << 16, batches: cal.length });
  model.layers.forEach((l, i) => {
    const s = sites[i];
    const means = stats.get(s.inputTensor)!.channelMeans!;
    const want = correctedBias(s, l.wInt, l.wScales, channelMeanOf(s, s.kind === 'conv' ? means.length / s.weightShape[1] : 1, means));
    const worst = Math.max(...want.map((v, c) => Math.abs(v - l.bias![c])));
    assert.ok(worst < 1e-5, `${l.name}: bias off by ${worst}`);
    assert.ok(want.some((v, c) => Math.abs(v - s.bias![c]) > 1e-4), `${l.name}: the correction changes the bias`);
  });
});

test('ClipSpace at the pipeline\'s p reproduces the lp pipeline\'s weights and activation scales', async () => {
  const src = classifier(5);
  const cal = await labelledBatches(src, 16, 8, 9);
  const { model } = await lpModel(src, cal, 4, 4, null);
  const { calibrate } = await import('../../src/quant/calibrate.js');
  // calibrate() counts batches only when onBatch is given
  const stats = await calibrate(model.prepared, model.layers.map((l) => l.inputTensor), (async function* () { yield* cal; })(), (b) => [b.count, ...DIMS], {
    sampleCap: 1 << 20, batches: cal.length, onBatch: () => undefined,
  });
  const space = new ClipSpace(model);
  const again = space.model(space.lpState(2.4, stats));
  model.layers.forEach((l, i) => {
    assert.equal([...again.layers[i].wInt], [...l.wInt], `${l.name} integers`);
    assert.equal([...again.layers[i].wScales], [...l.wScales], `${l.name} scales`);
    assert.is(again.layers[i].act!.scale, l.act!.scale, `${l.name} activation scale`);
  });
  assert.equal(space.params().map((p) => `${p.kind}:${p.label}`), ['act:x', 'act:r1', 'act:f', 'weight:conv1', 'weight:conv2', 'weight:fc']);
});

test('the loss evaluator runs a fixed-batch model in batches of its size, the last padded, to the free-batch loss', async () => {
  const src = classifier(8);
  const cal = await labelledBatches(src, 16, 8, 2);
  const { model } = await lpModel(src, cal, 4, 4, null);
  const fixed = decodeModel(encodeModel(model.prepared));
  for (const v of [...fixed.graph!.input!, ...fixed.graph!.output!]) v.type!.tensorType!.shape!.dim![0] = { dimValue: 4 };
  const chunks = imageChunks(cal, 11, 16, SIZE);
  const loss = async (q: QuantModel, labels: boolean) => {
    const ev = await LossEvaluator.open(q, chunks, { labels, imageDims: DIMS, threads: 1 });
    try {
      return await ev.loss(q);
    } finally {
      await ev.release();
    }
  };
  for (const labels of [true, false]) {
    const free = await loss(model, labels);
    const four = await loss({ ...model, prepared: fixed }, labels);
    assert.ok(Math.abs(free - four) < 1e-6 * Math.max(1, Math.abs(free)), `${labels ? 'cross-entropy' : 'KL'}: free ${free} vs fixed batch ${four}`);
  }
});

/** Mean cross-entropy of a model's constant QDQ file on the batches (independent of the evaluator). */
async function qdqCrossEntropy(q: QuantModel, cal: Batch[], images: number): Promise<number> {
  const chunks = imageChunks(cal, images, 1000, SIZE);
  let s = 0, n = 0;
  for (const c of chunks) {
    s += crossEntropySum(await outputs(toQdqBytes(q), c.data, c.count), K, c.labels);
    n += c.count;
  }
  return s / n;
}

test('lapqOptimize on a synthetic A3W3 classifier: never worse than its initialization, loss matches the written model', async () => {
  const src = classifier(21);
  const cal = await labelledBatches(src, 96, 32, 4);
  const { model } = await lpModel(src, cal, 3, 3, null);
  const { model: out, trace } = await lapqOptimize({ model, calibration: cal, imageDims: DIMS, options: { labels: true, images: 64, runSize: 32, maxEvals: 120, maxIter: 3 } });
  assert.is(trace.loss, 'cross-entropy');
  assert.is(trace.images, 64);
  assert.equal(trace.sweep.map((s) => s.p), [2, 2.5, 3, 3.5, 4]);
  assert.is(trace.params.length, 6);
  assert.ok(trace.evaluations <= 120, `${trace.evaluations} evaluations`);
  const startLoss = Math.min(trace.pStarLoss, ...trace.sweep.map((s) => s.loss));
  assert.is(trace.start.loss, startLoss);
  assert.ok(trace.finalLoss <= startLoss, `final ${trace.finalLoss} vs start ${startLoss}`);
  assert.ok(trace.finalLoss < startLoss, `the search should find something on 6 coordinates (${trace.finalLoss} vs ${startLoss})`);
  // Scales fed as graph inputs and written as constants take different kernels: equal up to rounding.
  const inputLoss = await qdqCrossEntropy(model, cal, 64);
  assert.ok(Math.abs(trace.inputLoss - inputLoss) < 1e-12, `input ${trace.inputLoss} vs written ${inputLoss}`);
  // The returned model, written as an ordinary QDQ file, scores exactly the loss the search saw.
  const written = await qdqCrossEntropy(out, cal, 64);
  assert.ok(Math.abs(written - trace.finalLoss) < 1e-12, `written ${written} vs traced ${trace.finalLoss}`);
  assert.is(out.weightMethod, 'lapq');
  assert.is(out.actMethod, 'lapq');
  for (const l of out.layers) assert.ok(l.wInt.every((v) => v >= -3 && v <= 3), `${l.name} within 3 bits`);
});

test('lapqOptimize without labels minimizes the KL divergence to the float model', async () => {
  const src = classifier(33);
  const cal = (await labelledBatches(src, 48, 24, 8)).map((b) => ({ ...b, labels: new Int32Array(b.count) }));
  const { model } = await lpModel(src, cal, 3, 4, null);
  const { trace } = await lapqOptimize({ model, calibration: cal, imageDims: DIMS, options: { labels: false, images: 48, maxEvals: 60 } });
  assert.is(trace.loss, 'kl');
  assert.ok(trace.inputLoss > 0);
  assert.ok(trace.finalLoss >= 0 && trace.finalLoss <= trace.start.loss, `${trace.finalLoss} vs ${trace.start.loss}`);
});

test('LAPQ activations on another method\'s weights: integers and scales kept, only activation clips searched', async () => {
  const src = classifier(45);
  const cal = await labelledBatches(src, 64, 32, 6);
  const calibration = { batches: async function* () { yield* cal; }, count: cal.length, inputDims: (b: Batch) => [b.count, ...DIMS] };
  const common = { aBits: 3, wBits: 4, firstLast: null, methodOptions: { p: 2.4 }, calibration };
  const { model: mse } = await quantizeModel(src, 'syn', 'syn', { ...common, weightMethod: 'mse', actMethod: 'lp' });
  const { model: mixed } = await quantizeModel(src, 'syn', 'syn', { ...common, weightMethod: 'mse', actMethod: 'lapq', lapq: { labels: true, maxEvals: 60, images: 64 } });
  assert.is(mixed.weightMethod, 'mse');
  assert.is(mixed.actMethod, 'lapq');
  mixed.layers.forEach((l, i) => {
    assert.equal(Array.from(l.wInt), Array.from(mse.layers[i].wInt), `${l.name} integers`);
    assert.equal(Array.from(l.wScales), Array.from(mse.layers[i].wScales), `${l.name} scales`);
  });
  assert.ok(mixed.layers.some((l, i) => l.act!.scale !== mse.layers[i].act!.scale), 'some activation clip moved');
  const before = await qdqCrossEntropy(mse, cal, 64), after = await qdqCrossEntropy(mixed, cal, 64);
  assert.ok(after <= before + 1e-12, `loss ${after} vs lp activations ${before}`);
  const err = await quantizeModel(src, 'syn', 'syn', { ...common, aBits: null, weightMethod: 'mse', actMethod: 'lapq' }).then(() => null, (e: Error) => e);
  assert.match(err?.message ?? 'no error', /--act-method lapq with any --weight-method/);
});

// ---- ResNet-20 ----

withShared(test, 'LAPQ on ResNet-20 A4W4 (128 calibration images) lowers the calibration loss below the lp initialization',
  [['models', 'cifar10-resnet20.onnx'], ['data', 'cifar10', 'calib']], async ([modelPath, calibPath]) => {
  const t0 = Date.now();
  const ds = openDataSet(calibPath, { limit: 128, seed: 1 });
  const cal: Batch[] = [];
  for await (const b of batches(ds.samples, PRESETS.cifar10, { batchSize: 64 })) cal.push(b);
  const { model } = await quantizeModel(loadModel(modelPath), 'resnet20', 'resnet20', {
    aBits: 4, wBits: 4, firstLast: 8, weightMethod: 'lp', actMethod: 'lp', methodOptions: { p: 2.4 },
    calibration: { batches: async function* () { yield* cal; }, count: cal.length, inputDims: (b) => [b.count, 3, 32, 32] },
  });
  const { trace } = await lapqOptimize({ model, calibration: cal, imageDims: [3, 32, 32], options: { labels: true, images: 128, maxEvals: 32 } });
  // 18 low-bit layers: 18 activation clips and 18 weight multipliers; the 8-bit first and last stay at p*.
  assert.is(trace.params.length, 36);
  assert.is(trace.images, 128);
  assert.ok(trace.finalLoss < trace.start.loss, `LAPQ ${trace.finalLoss} vs its start ${trace.start.loss}`);
  assert.ok(trace.finalLoss < trace.inputLoss, `LAPQ ${trace.finalLoss} vs the lp pipeline ${trace.inputLoss}`);
  console.log(`  ResNet-20 A4W4: lp ${trace.inputLoss.toFixed(4)}, start p=${trace.start.p.toFixed(2)} ${trace.start.loss.toFixed(4)}, `
    + `LAPQ ${trace.finalLoss.toFixed(4)}; ${trace.evaluations} evaluations at ${trace.msPerEval.toFixed(0)} ms, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test.run();
