// IR version 3 style: every initializer is also listed as a graph input. hwq treats them as the constants
// they are, and the models it writes list only the data input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { loadModel, saveModel } from '../../src/onnx/proto.js';
import { cnn, everyCommand } from './qmodels.js';

const T = tempDir('hwq-compat-inputs-');
const IMAGES = colourFolder(join(T, 'images'), 2);

test('sim, quantize (tflite, bitsplit, lapq), eval and compare an IR 3 model with its weights as inputs', async () => {
  const model = join(T, 'ir3.onnx');
  const m = cnn({ weightsAsInputs: true });
  assert.ok(m.graph!.input!.length > 1);
  saveModel(model, m);
  await everyCommand(model, { images: IMAGES, out: T });
  for (const method of ['tflite', 'bitsplit', 'lapq']) {
    assert.equal(loadModel(join(T, `ir3-${method}.onnx`)).graph!.input!.map((i) => i.name), ['x'], `${method}: fed the image alone`);
  }
});

test.run();
