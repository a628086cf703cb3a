// Conv1d networks (input [N, C, L], weights [M, C, K]): simulated and quantized as the 2-D convolutions they
// are (height 1). The quantized QDQ model runs in onnxruntime and stays within quantization error of the
// float one. Calibration, eval and compare need sequence data, which image folders are not: weight-only
// quantization runs here, and conv1d-npy.test.ts runs the rest on .npy sequences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { hwq, userError } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { openModel } from '../../src/onnx/run.js';
import { loadModel, saveModel, encodeModel } from '../../src/onnx/proto.js';
import { conv1dAs2dNet, conv1dNet, convTranspose1dNet, everyCommand } from './qmodels.js';

const T = tempDir('hwq-compat-conv1d-');
const ONE = join(T, 'conv1d.onnx');
const TWO = join(T, 'conv2d.onnx');
saveModel(ONE, conv1dNet());
saveModel(TWO, conv1dAs2dNet());

test('sim: the layers, MACs and cycles of the 2-D network on 4 x 1 x 64', async () => {
  const one = JSON.parse((await hwq('sim', ONE, '--json')).stdout);
  const two = JSON.parse((await hwq('sim', TWO, '--json')).stdout);
  const rows = (x: any) => x.layers.map((l: any) => [l.name, l.kind, l.macs, l.totalCycles, l.mapping]);
  assert.equal(rows(one), rows(two));
  assert.is(one.macs, 8 * 4 * 5 * 64 + 8 * 8 * 3 * 16 + 8 * 3);
  assert.match((await hwq('sim', ONE, '--per-layer')).stdout, /conv1 +4>8 1x5\/1 @1x64/);
});

test('quantize --w8: the QDQ model runs in onnxruntime within quantization error of the float model; the .hwq simulates', async () => {
  await everyCommand(ONE, { out: T });
  const q = join(T, 'conv1d-w8.onnx');
  const x = { dims: [2, 4, 64], data: new Float32Array(2 * 4 * 64).map((_, i) => Math.cos(i * 0.21)) };
  const run = async (bytes: Uint8Array) => {
    const s = await openModel(bytes);
    try {
      return Array.from((await s.run({ x })).get('y')!.data as Float32Array);
    } finally {
      await s.release();
    }
  };
  const f = await run(encodeModel(loadModel(ONE)));
  const qq = await run(encodeModel(loadModel(q)));
  assert.is(qq.length, f.length);
  const scale = Math.max(...f.map(Math.abs));
  qq.forEach((v, i) => assert.ok(Math.abs(v - f[i]) < 0.02 * scale, `output ${i}: quantized ${v} vs float ${f[i]}`));
  assert.ok(qq.some((v, i) => v !== f[i]), 'the weights were quantized');
  const h = JSON.parse((await hwq('sim', join(T, 'conv1d-w8.hwq'), '--json')).stdout);
  const one = JSON.parse((await hwq('sim', ONE, '--json')).stdout);
  assert.equal(h.layers.map((l: any) => [l.name, l.macs]), one.layers.map((l: any) => [l.name, l.macs]));
});

test('a ConvTranspose after a Conv1d is refused by sim and by quantize --hwq (the integer model), naming the layer and why', async () => {
  const p = join(T, 'convtranspose1d.onnx');
  saveModel(p, convTranspose1dNet());
  for (const args of [['sim', p], ['quantize', p, '--w8', '--out', join(T, 'ct-q.onnx'), '--hwq', join(T, 'ct-q.hwq')]]) {
    const line = userError(await hwq(...args), args[0]);
    assert.match(line, /'ConvTranspose' \(node 'dec'\)/);
    assert.match(line, /transposed convolution/);
  }
});

test.run();
