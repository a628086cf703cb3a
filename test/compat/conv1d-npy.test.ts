// A Conv1d network with sequence data: .npy samples [C, L] calibrate activation quantization, and eval and
// compare run on them with labels, through the 2-D form the network is quantized as.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { hwq } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { openModel } from '../../src/onnx/run.js';
import { encodeModel, saveModel } from '../../src/onnx/proto.js';
import { conv1dNet } from './qmodels.js';
import { ok, writeNpy } from './models.js';

const T = tempDir('hwq-compat-conv1d-npy-');
const MODEL = join(T, 'conv1d.onnx');
const DATA = join(T, 'seq');
const COUNT = 24;

test('a Conv1d model quantized at A8W8 from .npy sequences keeps the float model\'s answers', async () => {
  saveModel(MODEL, conv1dNet());
  const samples = Array.from({ length: COUNT }, (_, n) => Array.from({ length: 4 * 64 }, (_, i) => Math.sin(0.05 * (n + 1) * i + n) + 0.3 * Math.cos(i * (n % 5))));
  // Labels are the float model's own top-1, so the float model scores 100 % by construction.
  const s = await openModel(encodeModel(conv1dNet()));
  const labels: number[] = [];
  try {
    const y = (await s.run({ x: { dims: [COUNT, 4, 64], data: Float32Array.from(samples.flat()) } })).get('y')!.data as Float32Array;
    for (let n = 0; n < COUNT; n++) {
      const row = Array.from(y.subarray(n * 3, n * 3 + 3));
      labels.push(row.indexOf(Math.max(...row)));
    }
  } finally {
    await s.release();
  }
  samples.forEach((v, n) => writeNpy(join(DATA, `s${String(n).padStart(2, '0')}.npy`), [4, 64], v));
  const labelFile = join(T, 'labels.txt');
  writeFileSync(labelFile, labels.join('\n') + '\n');
  const q = join(T, 'conv1d-a8w8.onnx');
  ok(await hwq('quantize', MODEL, '--a8w8', '--calib', DATA, '--out', q, '--hwq', join(T, 'conv1d-a8w8.hwq'), '--no-progress'), 'quantize');
  const ev = await hwq('eval', MODEL, '--data', DATA, '--labels', labelFile, '--json', '--no-progress');
  ok(ev, 'eval');
  assert.is(JSON.parse(ev.stdout).top1, 1);
  const cmp = await hwq('compare', MODEL, q, '--data', DATA, '--labels', labelFile, '--json', '--no-progress');
  ok(cmp, 'compare');
  const r = JSON.parse(cmp.stdout) as { float: { top1: number }; quantized: { top1: number } };
  assert.is(r.float.top1, 1);
  assert.ok(r.quantized.top1 >= 0.9, `A8W8 top-1 ${r.quantized.top1}`);
  ok(await hwq('sim', join(T, 'conv1d-a8w8.hwq')), 'sim of the .hwq');
});

test.run();
