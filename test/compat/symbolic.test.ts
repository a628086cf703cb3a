// Models exported with symbolic H and W: --input-shape gives the size on quantize, eval and compare as on sim,
// checked the same way against the dims the file fixes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { colourFolder } from '../eval/colour-fixtures.js';
import { hwq, userError } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { colourCnn, colourCnnMacs, ok, runEveryCommand } from './models.js';

const T = tempDir('hwq-compat-symbolic-');
const IMAGES = colourFolder(join(T, 'images'), 3);
const SYMBOLIC = colourCnn(join(T, 'sym.onnx'), ['N', 3, 'H', 'W']);

test('[N, 3, H, W] at --input-shape 3x24x40: sim, quantize (tflite, bitsplit, lapq), eval and compare', async () => {
  const shape = ['--input-shape', '3x24x40'];
  await runEveryCommand({ dir: T, model: SYMBOLIC, data: IMAGES, flags: ['--preprocess', 'cifar10', ...shape], simFlags: shape, macs: colourCnnMacs(24, 40) });
  const r = JSON.parse((await hwq('eval', SYMBOLIC, '--data', IMAGES, '--preprocess', 'cifar10', ...shape, '--no-progress', '--json')).stdout);
  assert.is(r.preprocess, 'cifar10 at 24x40');
});

test('[N, H, W, 3] + Transpose at --input-shape 20x28x3: channels last, detected from the graph', async () => {
  const model = colourCnn(join(T, 'sym-nhwc.onnx'), ['N', 'H', 'W', 3], true);
  const shape = ['--input-shape', '20x28x3'];
  const sim = await hwq('sim', model, ...shape, '--json');
  ok(sim, 'sim');
  assert.is(JSON.parse(sim.stdout).macs, colourCnnMacs(20, 28));
  const e = await hwq('eval', model, '--data', IMAGES, '--preprocess', 'cifar10', ...shape, '--no-progress', '--json');
  ok(e, 'eval');
  assert.equal([JSON.parse(e.stdout).top1, JSON.parse(e.stdout).preprocess], [1, 'cifar10 at 20x28']);
  const q = join(T, 'sym-nhwc-q.onnx');
  ok(await hwq('quantize', model, '--a8w8', '--calib', IMAGES, '--preprocess', 'cifar10', ...shape, '--out', q, '--no-progress'), 'quantize');
  ok(await hwq('compare', model, q, '--data', IMAGES, '--preprocess', 'cifar10', ...shape, '--no-progress'), 'compare');
});

test('--input-shape must agree with the dims the model fixes, have its rank and be dims', async () => {
  const fixedH = colourCnn(join(T, 'fixed-h.onnx'), ['N', 3, 24, 'W']);
  const e = (args: string[], what: string) => hwq('eval', fixedH, '--data', IMAGES, '--preprocess', 'cifar10', ...args).then((r) => userError(r, what));
  assert.match(await e(['--input-shape', '3x32x40'], 'disagreeing'),
    /--input-shape 3x32x40 disagrees with '.*fixed-h\.onnx', whose input 'x' is fixed at 3x24xW per sample/);
  assert.match(await e(['--input-shape', '24x40'], 'rank'), /--input-shape 24x40 has 2 dims but .* has 3 per sample \(3x24xW\)/);
  assert.match(await e(['--input-shape', '3x24x0'], 'zero'), /--input-shape '3x24x0' must be the dims of one sample/);
  const q = await hwq('quantize', fixedH, '--a8w8', '--calib', IMAGES, '--preprocess', 'cifar10', '--input-shape', '3x32x40', '--out', join(T, 'x.onnx'));
  assert.match(userError(q, 'quantize'), /disagrees with/);
  const given = await hwq('eval', fixedH, '--data', IMAGES, '--preprocess', 'cifar10', '--input-shape', '3x24x36', '--no-progress', '--json');
  ok(given, 'agreeing');
  assert.is(JSON.parse(given.stdout).preprocess, 'cifar10 at 24x36');
});

test.run();
