// A model exported with a fixed batch size (here 2) instead of a symbolic one: calibration, eval and compare
// feed it whole batches of that size.
import { test } from 'uvu';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { saveModel } from '../../src/onnx/proto.js';
import { cnn, everyCommand } from './qmodels.js';

const T = tempDir('hwq-compat-batch-');
const IMAGES = colourFolder(join(T, 'images'), 2);

test('sim, quantize (tflite, bitsplit, lapq), eval and compare a model fixed at batch 2', async () => {
  const model = join(T, 'batch2.onnx');
  saveModel(model, cnn({ batch: 2 }));
  await everyCommand(model, { images: IMAGES, out: T });
});

test.run();
