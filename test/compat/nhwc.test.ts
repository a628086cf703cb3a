// Channels-last inputs, as tf2onnx and keras2onnx export them: [N, H, W, C] followed by a Transpose to NCHW.
// The images are laid out to match, detected from the graph (or the sizes) or as --layout says.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { saveModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { hwq, userError } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { colourCnn, colourCnnMacs, ok, runEveryCommand } from './models.js';

const T = tempDir('hwq-compat-nhwc-');
const IMAGES = colourFolder(join(T, 'images'), 3);
const NHWC = colourCnn(join(T, 'nhwc.onnx'), ['N', 32, 32, 3], true);

test('NHWC input + Transpose: sim sees the NCHW network; quantize (tflite, bitsplit, lapq), eval and compare feed HWC images', async () => {
  const sim = JSON.parse((await hwq('sim', NHWC, '--json')).stdout) as { layers: { name: string; kind: string }[] };
  assert.equal(sim.layers.filter((l) => l.kind === 'conv' || l.kind === 'fc').map((l) => l.name), ['conv1', 'conv2', 'fc']);
  await runEveryCommand({ dir: T, model: NHWC, data: IMAGES, macs: colourCnnMacs(32, 32) });
});

test('--layout nchw on a channels-last model is refused with the sizes; an unknown --layout lists the choices', async () => {
  const forced = userError(await hwq('eval', NHWC, '--data', IMAGES, '--layout', 'nchw', '--preprocess', 'cifar10', '--no-progress'), '--layout nchw');
  assert.match(forced, /expects input 32x32x3 \(CxHxW\) but preprocessing .* produces 3x32x3/);
  const bad = userError(await hwq('eval', NHWC, '--data', IMAGES, '--layout', 'hwc'), '--layout hwc');
  assert.match(bad, /unknown --layout 'hwc': valid choices are nchw, nhwc/);
  const q = await hwq('quantize', NHWC, '--a8w8', '--calib', IMAGES, '--layout', 'NCWH', '--out', join(T, 'x.onnx'));
  assert.match(userError(q, 'quantize --layout'), /'NCWH'.*nchw, nhwc/);
});

/** [N, 32, 32, 3] -> Mul by 1 -> Transpose -> GlobalAveragePool -> Flatten -> MatMul: the Transpose is not the input's first reader. */
function scaledFirst(path: string, batch: number | string): string {
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims: [batch, 32, 32, 3] }], outputs: [{ name: 'y', dims: [batch, 3] }],
    nodes: [
      { op: 'Mul', inputs: ['x', 'one'], outputs: ['s'] },
      { op: 'Transpose', inputs: ['s'], outputs: ['t'], attrs: { perm: attr.ints([0, 3, 1, 2]) } },
      { op: 'GlobalAveragePool', inputs: ['t'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'MatMul', name: 'fc', inputs: ['f', 'P'], outputs: ['y'] },
    ],
    initializers: { one: floatTensor([], [1]), P: floatTensor([3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]) },
  }));
  return path;
}

test('channels last by its sizes alone (last dim 3, first 32), and --layout nhwc says so outright', async () => {
  const model = scaledFirst(join(T, 'scaled.onnx'), 'N');
  for (const extra of [[], ['--layout', 'nhwc']]) {
    const r = await hwq('eval', model, '--data', IMAGES, ...extra, '--no-progress', '--json');
    ok(r, `eval ${extra.join(' ')}`);
    assert.is((JSON.parse(r.stdout) as { top1: number }).top1, 1);
  }
});

test('a fixed batch of 2 with channels last: 9 images run as 5 batches, the last padded; calibration takes whole batches', async () => {
  const model = colourCnn(join(T, 'nhwc-b2.onnx'), [2, 32, 32, 3], true);
  const e = await hwq('eval', model, '--data', IMAGES, '--no-progress', '--json');
  ok(e, 'eval');
  assert.equal(JSON.parse(e.stdout).images, 9);
  assert.equal([JSON.parse(e.stdout).top1, JSON.parse(e.stdout).batchSize], [1, 2]);
  const q = join(T, 'nhwc-b2-q.onnx');
  const r = await hwq('quantize', model, '--a8w8', '--method', 'lapq', '--lapq-evals', '20', '--calib', IMAGES, '--out', q, '--no-progress', '--json');
  ok(r, 'quantize');
  assert.is(JSON.parse(r.stdout).calibrationImages, 8);
  ok(await hwq('compare', model, q, '--data', IMAGES, '--no-progress'), 'compare');
});

test.run();
