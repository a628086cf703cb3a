// ECAQ on depthwise layers only: channel scales where the fold into the weight scales is exact, before the fit
// (quantized inputs) or after it (--act-fit after), and the per-channel samples of the statistics it uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { openModel } from '../../src/onnx/run.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { ActStatsCollector } from '../../src/quant/act-stats.js';
import { type QuantizeOptions, quantizeModel } from '../../src/quant/quantize.js';
import { toQdqModel } from '../../src/quant/qdq.js';
import type { QuantModel } from '../../src/quant/types.js';
import type { ModelProto } from '../../src/onnx/proto.js';

const r = rng(7);
const C0 = 3, C1 = 4, C2 = 5, H = 6;
// conv1's output channel c is scaled by 4^c: the depthwise layer reads channels whose ranges differ by 64x
const w1 = Float32Array.from({ length: C1 * C0 * 9 }, (_, i) => (r() - 0.5) * 4 ** Math.floor(i / (C0 * 9)));
const wd = Float32Array.from({ length: C1 * 9 }, () => r() - 0.5);
const w3 = Float32Array.from({ length: C2 * C1 }, () => r() - 0.5);
const model = buildModel({
  inputs: [{ name: 'x', dims: ['N', C0, H, H] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', name: 'dw', inputs: ['r1', 'wd'], outputs: ['d'], attrs: { pads: attr.ints([1, 1, 1, 1]), group: attr.int(C1) } },
    { op: 'Conv', name: 'pw', inputs: ['d', 'w3'], outputs: ['y'] },
  ],
  initializers: { w1: floatTensor([C1, C0, 3, 3], w1), wd: floatTensor([C1, 1, 3, 3], wd), w3: floatTensor([C2, C1, 1, 1], w3) },
});
const batches: Batch[] = [0, 1].map((k) => ({ start: 4 * k, count: 4, data: Float32Array.from({ length: 4 * C0 * H * H }, () => r() * 2 - 1), labels: new Int32Array(4) }));
const common: QuantizeOptions = {
  aBits: 4, wBits: 6, firstLast: null, weightMethod: 'bitsplit', actMethod: 'bitsplit', methodOptions: { p: 2 },
  calibration: { batches: async function* () { yield* batches; }, count: 2, inputDims: (b) => [b.count, C0, H, H] },
  reconstruction: { positions: 1000, floatInputs: false, seed: 1 },
};

/** The depthwise layer's output (d) error against the float model's, each channel's squared error relative
 *  to its mean square, summed over the channels (so the small channels count as much as the large ones). */
async function depthwiseError(q: QuantModel): Promise<number> {
  const run = async (m: ModelProto) => {
    const s = await openModel(withOutputs(m, ['d']), 1, 'basic');
    const b = batches[0];
    const d = (await s.run({ x: { dims: [4, C0, H, H], data: b.data } }, ['d'])).get('d')!.data as Float32Array;
    await s.release();
    return d;
  };
  const [f, qd] = [await run(model), await run(toQdqModel(q))];
  const err = new Float64Array(C1), ms = new Float64Array(C1);
  f.forEach((v, i) => {
    const c = Math.floor(i / (H * H)) % C1;
    err[c] += (v - qd[i]) ** 2;
    ms[c] += v * v;
  });
  return err.reduce((s, e, c) => s + e / ms[c], 0);
}

test('ECAQ depthwise: channel scales on the depthwise layer only, and a smaller error there', async () => {
  const plain = await quantizeModel(model, 'm', 'm', common);
  const dw = await quantizeModel(model, 'm', 'm', { ...common, ecaq: 'depthwise' });
  const [l1, l2, l3] = dw.model.layers;
  assert.not.ok(l1.act?.channelScales);
  assert.not.ok(l3.act?.channelScales, 'the pointwise layer keeps its per-layer quantizer');
  const beta = l2.act!.channelScales!;
  assert.is(beta.length, C1);
  assert.ok(beta[3] > 10 * beta[0], `beta ${Array.from(beta)}`);
  const [e0, e1] = [await depthwiseError(plain.model), await depthwiseError(dw.model)];
  assert.ok(e1 < e0 / 10, `depthwise output error ${e1} with ECAQ, ${e0} without`);
});

test("ECAQ depthwise after the fit: the weight-only integers, the channel scales folded into the weight scales", async () => {
  const after = { ...common, reconstruction: { ...common.reconstruction!, actFit: 'after' as const } };
  const plain = await quantizeModel(model, 'm', 'm', after);
  const dw = await quantizeModel(model, 'm', 'm', { ...after, ecaq: 'depthwise' });
  dw.model.layers.forEach((l, i) => assert.equal(Array.from(l.wInt), Array.from(plain.model.layers[i].wInt), `layer ${i} integers`));
  const beta = dw.model.layers[1].act!.channelScales!;
  assert.ok(beta[3] > 10 * beta[0], `beta ${Array.from(beta)}`);
  dw.model.layers[1].wScales.forEach((s, o) => assert.ok(Math.abs(s - plain.model.layers[1].wScales[o] * beta[o]) <= 1e-6 * s, `scale ${o}`));
  assert.equal(dw.model.layers[2].act, plain.model.layers[2].act, 'the pointwise quantizer is the same');
  const [e0, e1] = [await depthwiseError(plain.model), await depthwiseError(dw.model)];
  assert.ok(e1 < e0 / 10, `depthwise output error ${e1} with ECAQ, ${e0} without`);
});

test('ECAQ all stays incompatible with the fit-then-calibrate order', async () => {
  const err = await quantizeModel(model, 'm', 'm', { ...common, ecaq: 'all', reconstruction: { ...common.reconstruction!, actFit: 'after' } }).then(() => null, (e: Error) => e);
  assert.match(err?.message ?? 'no error', /--ecaq depthwise/);
});

test('statistics keep a strided sample of each channel', () => {
  const c = new ActStatsCollector(100, 2, 5);
  // channel ch holds values ch*100 + position: a sample from the wrong channel would show
  const dims = [2, 3, 2, 2];
  for (let k = 0; k < 2; k++) c.add(Float32Array.from({ length: 24 }, (_, i) => Math.floor(i / 4) % 3 * 100 + (i % 4) + 10 * k), dims);
  const s = c.result();
  assert.is(s.channelSamples!.length, 3);
  s.channelSamples!.forEach((v, ch) => {
    assert.is(v.length, 5, `channel ${ch} keeps the cap`);
    assert.ok(v.every((x) => Math.floor(x / 100) === ch), `channel ${ch}: ${Array.from(v)}`);
  });
  assert.is(new ActStatsCollector(100, 2).result().channelSamples, undefined);
});

test.run();
