import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { measureSensitivity } from '../../src/codesign/sensitivity.js';
import { loadModel } from '../../src/onnx/proto.js';
import { findRecipe } from '../../src/quant/recipes.js';
import type { Batch } from '../../src/data/batches.js';
import { mulberry32 } from '../../src/random.js';
import { tempDir } from '../helpers.js';
import { tinyCnn } from '../cli/quantize-fixtures.js';

const T = tempDir('hwq-sensitivity-');
const path = join(T, 'cnn.onnx');
tinyCnn(path);
const rnd = mulberry32(3);
const image = () => Float32Array.from({ length: 3 * 32 * 32 }, () => 2 * rnd() - 1);
// the tiny CNN takes batches of exactly one image
const calib: Batch[] = Array.from({ length: 8 }, (_, k) => ({ start: k, count: 1, data: image(), labels: new Int32Array(1) }));
const heldOut = Array.from({ length: 6 }, () => ({ data: image(), count: 1, labels: new Int32Array(1) }));

test('each layer alone at 2 bits hurts more than at 8; the table has a row per layer and a column per candidate', async () => {
  const candidates = [{ a: 2, w: 2 }, { a: 4, w: 4 }, { a: 8, w: 8 }];
  const stages = new Set<string>();
  const t = await measureSensitivity({
    source: loadModel(path), what: path, name: 'cnn', recipe: findRecipe('tflite'), candidates,
    run: { calibration: { batches: async function* () { yield* calib; }, count: calib.length, inputDims: (b) => [b.count, 3, 32, 32] } },
    heldOut, imageDims: [3, 32, 32], progress: (s) => stages.add(s),
  });
  assert.is(t.layers.length, 2);
  assert.is(t.images, 6);
  assert.equal([...stages], ['quantize per precision', 'sensitivity']);
  for (const [l, row] of t.damage.entries()) {
    assert.is(row.length, 3);
    assert.ok(row.every((d) => d >= 0 && Number.isFinite(d)), `layer ${t.layers[l]}: ${row}`);
    assert.ok(row[0] > row[2], `layer ${t.layers[l]}: a2w2 ${row[0]} not above a8w8 ${row[2]}`);
  }
});

test.run();
