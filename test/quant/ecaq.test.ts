// ECAQ end to end on a small conv network: per-input-channel scales found, folded into the weights, and the
// QDQ model's layer output equal to an integer convolution over the codes the layer sees.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { openModel } from '../../src/onnx/run.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { type ActFit, quantizeModel } from '../../src/quant/quantize.js';
import { fakeQuantize, toQdqModel } from '../../src/quant/qdq.js';

const r = rng(41);
const C0 = 3, C1 = 4, C2 = 5, H = 6;
// channel c of conv1's output is scaled by 4^c: per-channel ranges differ by 64x, where ECAQ matters
const w1 = Float32Array.from({ length: C1 * C0 * 9 }, (_, i) => (r() - 0.5) * 4 ** Math.floor(i / (C0 * 9)));
const w2 = Float32Array.from({ length: C2 * C1 * 9 }, () => r() - 0.5);
const b2 = Float32Array.from({ length: C2 }, () => r() - 0.5);
const model = buildModel({
  inputs: [{ name: 'x', dims: ['N', C0, H, H] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['y'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
  ],
  initializers: { w1: floatTensor([C1, C0, 3, 3], w1), w2: floatTensor([C2, C1, 3, 3], w2), b2: floatTensor([C2], b2) },
});
const batches: Batch[] = [0, 1].map((k) => ({ start: 4 * k, count: 4, data: Float32Array.from({ length: 4 * C0 * H * H }, () => r() * 2 - 1), labels: new Int32Array(4) }));

test('ECAQ: channel scales follow the channel ranges; the QDQ layer is an integer conv over the codes', async () => {
  const { model: q } = await quantizeModel(model, 'm', 'm', {
    aBits: 4, wBits: 8, firstLast: null, weightMethod: 'tflite', actMethod: 'mse', methodOptions: { p: 2 }, ecaq: 'all',
    calibration: { batches: async function* () { yield* batches; }, count: 2, inputDims: (b) => [b.count, C0, H, H] },
    reconstruction: { positions: 1000, floatInputs: false, seed: 1 },
  });
  const [l1, l2] = q.layers;
  assert.not.ok(l1.act?.channelScales, 'the first layer keeps a per-layer quantizer');
  const beta = l2.act!.channelScales!;
  assert.is(beta.length, C1);
  assert.is(l2.act!.scale, 1);
  assert.ok(beta[3] > 10 * beta[0], `beta ${Array.from(beta)}`);
  // run the QDQ model, read conv2's float input (r1) and output, and recompute conv2 from the codes
  const m = await openModel(withOutputs(toQdqModel(q), ['r1']), 1, 'basic');
  const b = batches[0];
  const out = await m.run({ x: { dims: [4, C0, H, H], data: b.data } }, ['r1', 'y']);
  const r1 = out.get('r1')!.data as Float32Array, y = out.get('y')!.data as Float32Array;
  const unit = { bits: 4, signed: false, scale: 1, zeroPoint: 0 };
  const codes = r1.map((v, i) => fakeQuantize(Math.fround(v * Math.fround(1 / beta[Math.floor(i / (H * H)) % C1])), unit));
  assert.ok(codes.every((c) => Number.isInteger(c) && c >= 0 && c <= 15));
  let worst = 0;
  for (let n = 0; n < 4; n++) for (let o = 0; o < C2; o++) for (let oy = 0; oy < H; oy++) for (let ox = 0; ox < H; ox++) {
    let acc = 0;
    for (let c = 0; c < C1; c++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy + ky - 1, ix = ox + kx - 1;
      if (iy < 0 || iy >= H || ix < 0 || ix >= H) continue;
      acc += l2.wInt[((o * C1 + c) * 3 + ky) * 3 + kx] * codes[((n * C1 + c) * H + iy) * H + ix];
    }
    const want = acc * l2.wScales[o] + (l2.bias ? l2.bias[o] : 0);
    worst = Math.max(worst, Math.abs(want - y[((n * C2 + o) * H + oy) * H + ox]) / (1 + Math.abs(want)));
  }
  assert.ok(worst < 1e-4, `largest relative difference ${worst}`);
  await m.release();
});

test('ECAQ needs quantized activations', async () => {
  try {
    await quantizeModel(model, 'm', 'm', { aBits: null, wBits: 4, firstLast: null, weightMethod: 'tflite', actMethod: 'mse', methodOptions: { p: 2 }, ecaq: 'all' });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /--ecaq .* needs activation bits/);
  }
});

test('unquantized fit: the weights are fitted to the inputs before the layer\'s own quantizer', async () => {
  const run = (aBits: number | null, actFit: ActFit) => quantizeModel(model, 'm', 'm', {
    aBits, wBits: 4, firstLast: null, weightMethod: 'bitsplit', actMethod: 'bitsplit', methodOptions: { p: 2 },
    calibration: { batches: async function* () { yield* batches; }, count: 2, inputDims: (b) => [b.count, C0, H, H] },
    reconstruction: { positions: 1000, floatInputs: false, seed: 1, actFit },
  });
  const weightOnly = (await run(null, 'quantized')).model.layers[0];
  const unquantized = (await run(3, 'unquantized')).model.layers[0];
  const quantized = (await run(3, 'quantized')).model.layers[0];
  // the first layer reads the image in every run: only its own input quantizer can make a difference
  assert.equal(Array.from(unquantized.wInt), Array.from(weightOnly.wInt));
  assert.equal(Array.from(unquantized.wScales), Array.from(weightOnly.wScales));
  assert.ok(unquantized.act && unquantized.act.bits === 3, 'the quantizer still applies at inference');
  assert.not.equal(Array.from(quantized.wInt), Array.from(weightOnly.wInt), 'a 3-bit input should change the fitted integers');
});

test("act fit 'after': the weight-only integers, activation quantizers calibrated on the weight-quantized net", async () => {
  const cal = { batches: async function* () { yield* batches; }, count: 2, inputDims: (b: Batch) => [b.count, C0, H, H] };
  const common = { wBits: 4, firstLast: null, weightMethod: 'bitsplit', actMethod: 'bitsplit', methodOptions: { p: 2 }, calibration: cal };
  const w = await quantizeModel(model, 'm', 'm', { ...common, aBits: null, reconstruction: { positions: 1000, floatInputs: false, seed: 1 } });
  const a = await quantizeModel(model, 'm', 'm', { ...common, aBits: 4, reconstruction: { positions: 1000, floatInputs: false, seed: 1, actFit: 'after' } });
  a.model.layers.forEach((l, i) => {
    assert.equal(Array.from(l.wInt), Array.from(w.model.layers[i].wInt), `layer ${i} integers`);
    assert.ok(l.act && l.act.bits === 4 && l.act.scale > 0, `layer ${i} activation quantizer`);
  });
  assert.is(a.model.layers[0].act!.signed, true);
  assert.is(a.model.layers[1].act!.signed, false);
  assert.is(a.report[1].aBits, 4);
  const err = await quantizeModel(model, 'm', 'm', {
    ...common, aBits: 4, ecaq: 'all', reconstruction: { positions: 1000, floatInputs: false, seed: 1, actFit: 'after' },
  }).then(() => null, (e: Error) => e);
  assert.match(err?.message ?? 'no error', /use one of them/);
});

test.run();
