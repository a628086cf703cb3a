// The 'sensitivity' job kind on a tiny CNN: one job per candidate precision on two worker threads gives exactly the
// table measureSensitivity gives in this process (where the precisions share weight fits), each column is cached as
// its own job, and a thread keeps the few data sets such jobs alternate between decoded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tinyCnn, noisyImageFolder } from '../cli/quantize-fixtures.js';
import { tempDir } from '../helpers.js';
import { loadModel } from '../../src/onnx/proto.js';
import { findRecipe } from '../../src/quant/recipes.js';
import { PRESETS } from '../../src/data/preprocess.js';
import { openDataSet } from '../../src/data/dataset.js';
import { type Batch, batches } from '../../src/data/batches.js';
import { inputDims, sampleDims } from '../../src/data/input-spec.js';
import { candidateGrid } from '../../src/codesign/cost-table.js';
import { localMaterializer } from '../../src/codesign/materialize.js';
import { jobsMaterializer } from '../../src/codesign/jobs-materializer.js';
import { KEPT_DATA_SETS, dataRef, decodedBatches } from '../../src/jobs/data-ref.js';
import { SENSITIVITY } from '../../src/jobs/kinds/sensitivity.js';

const dir = tempDir('hwq-sensitivity-kind-');
const cnn = join(dir, 'cnn.onnx');
tinyCnn(cnn);
const images = join(dir, 'images');
noisyImageFolder(images, 10, 2, 32, 32);
const input = PRESETS.cifar10;
const recipe = findRecipe('bitsplit');
const open = { limit: 14, seed: 5 };
const HELD_OUT = 6;

async function decode(samples: Parameters<typeof batches>[0]): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches(samples, input, { batchSize: 1 })) out.push(b);
  return out;
}

test('one sensitivity job per precision on two threads: exactly the table measured in this process, each column cached', async () => {
  const samples = openDataSet(images, open).samples;
  const calib = await decode(samples.slice(HELD_OUT));
  const heldOut = await decode(samples.slice(0, HELD_OUT));
  const candidates = candidateGrid([2, 4, 8]);
  const dims = (b: Batch) => inputDims(input, b.count);
  const local = localMaterializer({
    source: loadModel(cnn), what: cnn, name: 'cnn', recipe, key: [], cacheDir: null,
    run: { calibration: { batches: async function* () { yield* calib; }, count: calib.length, inputDims: dims }, positions: 300, seed: 0 },
  }, { images: async () => [], dims, key: [], cacheDir: null }, { chunks: async () => heldOut, imageDims: sampleDims(input) });
  const want = await local.sensitivity(candidates);

  const cache = join(dir, 'cache');
  const stages: string[] = [];
  const jobs = jobsMaterializer({
    quantize: { model: cnn, recipe, calibration: dataRef(images, open, HELD_OUT), input, batchSize: 1, positions: 300, seed: 0 },
    heldOut: dataRef(images, open, 0, HELD_OUT),
    evaluate: { data: dataRef(images), input, batchSize: 1 },
    exec: { cacheDir: cache, threads: 2 },
  });
  const got = await jobs.sensitivity(candidates, (s, d, n) => stages.push(`${s} ${d}/${n}`));
  assert.equal(got, want);
  assert.is(got.images, HELD_OUT);
  assert.is(got.damage.length, 2);
  assert.ok(got.damage.every((row) => row.length === 9 && row.every((d) => d >= 0 && Number.isFinite(d))), JSON.stringify(got.damage));
  assert.is(stages[stages.length - 1], 'sensitivity 9/9');
  assert.is(readdirSync(join(cache, SENSITIVITY)).filter((f) => f.endsWith('.json')).length, 9, 'a cache entry per precision');
  // a subset of the precisions reuses their cached columns, in the order asked
  const some = [candidates[8], candidates[0]];
  assert.equal((await jobs.sensitivity(some)).damage, want.damage.map((row) => [row[8], row[0]]));
});

test('decoded data sets: the last few used are kept, the least recently used dropped first', async () => {
  const refs = Array.from({ length: KEPT_DATA_SETS + 1 }, (_, k) => dataRef(images, { limit: k + 1 }));
  const got: Batch[][] = [];
  for (const r of refs.slice(0, KEPT_DATA_SETS)) got.push(await decodedBatches(r, input, 1));
  assert.is(await decodedBatches(refs[0], input, 1), got[0], 'kept while other data sets were decoded');
  await decodedBatches(refs[KEPT_DATA_SETS], input, 1);
  assert.is(await decodedBatches(refs[0], input, 1), got[0], 'used recently: kept');
  assert.is(await decodedBatches(refs[2], input, 1), got[2]);
  assert.is.not(await decodedBatches(refs[1], input, 1), got[1], 'the least recently used: decoded again');
});

test.run();
