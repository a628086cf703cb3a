// Non-square image inputs (detectors, e.g. 3x240x320): the images are scaled to cover the model's H x W and
// center-cropped to it, whatever the preset's own (square) size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { resolvePreprocessArgs } from '../../src/cli/data-options.js';
import { fitForCrop } from '../../src/data/preprocess.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { hwq, userError } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { colourCnn, colourCnnMacs, ok, runEveryCommand } from './models.js';

const T = tempDir('hwq-compat-nonsquare-');
const IMAGES = colourFolder(join(T, 'images'), 3);
const WIDE = colourCnn(join(T, 'wide.onnx'), ['N', 3, 24, 40]);

test('3x24x40 input: sim, quantize (tflite, bitsplit, lapq), eval and compare on 32x32 images', async () => {
  await runEveryCommand({ dir: T, model: WIDE, data: IMAGES, flags: ['--preprocess', 'cifar10'], macs: colourCnnMacs(24, 40) });
  const r = JSON.parse((await hwq('eval', WIDE, '--data', IMAGES, '--preprocess', 'cifar10', '--no-progress', '--json')).stdout);
  assert.is(r.preprocess, 'cifar10 at 24x40');
});

test('the preset keeps its statistics; the size is the model\'s, reached by a cover resize and a center crop', () => {
  const spec = resolvePreprocessArgs({ preprocess: 'cifar10' }, [3, 24, 40], 'm');
  assert.equal([spec.height, spec.width, spec.resize, spec.mean], [24, 40, 'cover', [0.485, 0.456, 0.406]]);
  // a 64x32 (w x h) image: scaled by max(40/64, 24/32) = 0.75 to 48x24, then its middle 40 columns are kept
  const img = { width: 64, height: 32, channels: 3 as const, data: new Uint8Array(64 * 32 * 3) };
  const fitted = fitForCrop(img, spec);
  assert.equal([fitted.width, fitted.height], [48, 24]);
  // a portrait 30x50 image: scaled by max(40/30, 24/50) to 40x67
  assert.equal([fitForCrop({ ...img, width: 30, height: 50, data: new Uint8Array(30 * 50 * 3) }, spec)].map((f) => [f.width, f.height]), [[40, 67]]);
  // the preset's own size keeps the preset as it was: no resize
  assert.is(resolvePreprocessArgs({ preprocess: 'cifar10' }, [3, 32, 32], 'm').resize, undefined);
  // another preset's own size is taken for a slip, not resized to; --crop says the size on purpose
  assert.throws(() => resolvePreprocessArgs({ preprocess: 'imagenet' }, [3, 32, 32], 'm'),
    /expects input 3x32x32 \(CxHxW\) but preprocessing 'imagenet' produces 3x224x224/);
  assert.equal(resolvePreprocessArgs({ preprocess: 'imagenet', crop: 32, resize: 32 }, [3, 32, 32], 'm').height, 32);
});

test('--crop HxW names the size outright; a size the model does not take, or a crop that is not one, is refused', async () => {
  const r = await hwq('eval', WIDE, '--data', IMAGES, '--preprocess', 'cifar10', '--crop', '24x40', '--no-progress', '--json');
  ok(r, '--crop 24x40');
  assert.is(JSON.parse(r.stdout).top1, 1);
  const wrong = await hwq('eval', WIDE, '--data', IMAGES, '--preprocess', 'cifar10', '--crop', '24x41');
  assert.match(userError(wrong, '--crop 24x41'), /expects input 3x24x40 \(CxHxW\) but preprocessing 'custom' produces 3x24x41/);
  const typo = await hwq('eval', WIDE, '--data', IMAGES, '--crop', '24y40');
  assert.match(userError(typo, '--crop 24y40'), /--crop '24y40' must be an integer >= 1 or a height and width HxW/);
  assert.match(userError(await hwq('eval', WIDE, '--data', IMAGES), 'no preset'), /no preprocessing preset matches model input 3x24x40 .*pass --preprocess/);
});

test.run();
