// A model whose tensors live in model.onnx.data beside it (exporters do this for large models): every
// command reads the data from the model's folder, whatever the current directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { loadModel } from '../../src/onnx/proto.js';
import { cnn, everyCommand, saveWithExternalData } from './qmodels.js';

const T = tempDir('hwq-compat-external-');
const IMAGES = colourFolder(join(T, 'images'), 2);

test('sim, quantize (tflite, bitsplit, lapq), eval and compare a model with external data', async () => {
  const dir = join(T, 'model');
  mkdirSync(dir);
  const model = join(dir, 'model.onnx');
  saveWithExternalData(model, cnn());
  assert.ok(loadModel(model).graph!.initializer!.length > 0);
  await everyCommand(model, { images: IMAGES, out: T });
  assert.ok(loadModel(join(T, 'model-tflite.onnx')).graph!.initializer!.every((t) => t.dataLocation !== 1), 'the quantized model is self-contained');
});

test.run();
