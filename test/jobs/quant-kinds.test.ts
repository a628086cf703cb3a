// The 'quantize' and 'evaluate' job kinds on a tiny CNN: the bytes and accuracies are those co-design's
// materialize functions give for the same inputs; inputs count by content (a model as a file or as bytes, a data
// set at any path); the cache keeps model bytes as files beside the entry and finds them again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyCnn, noisyImageFolder } from '../cli/quantize-fixtures.js';
import { tempDir } from '../helpers.js';
import { loadModel } from '../../src/onnx/proto.js';
import { importOnnxModel } from '../../src/model/onnx-import.js';
import { computeLayers } from '../../src/model/ir.js';
import { findRecipe } from '../../src/quant/recipes.js';
import { PRESETS } from '../../src/data/preprocess.js';
import { openDataSet } from '../../src/data/dataset.js';
import { type Batch, batches } from '../../src/data/batches.js';
import { inputDims } from '../../src/data/input-spec.js';
import { evaluateBytes, quantizeMix } from '../../src/codesign/materialize.js';
import { executeJobs } from '../../src/jobs/execute.js';
import { runJob } from '../../src/jobs/job.js';
import { cacheFiles, prune } from '../../src/jobs/result-cache.js';
import { dataRef } from '../../src/jobs/data-ref.js';
import { QUANTIZE, quantizeJob, quantizedFiles } from '../../src/jobs/kinds/quantize.js';
import { accuracyOf, evaluateJob } from '../../src/jobs/kinds/evaluate.js';
import { UserError } from '../../src/errors.js';

const dir = tempDir('hwq-quant-kinds-');
const cnn = join(dir, 'cnn.onnx');
tinyCnn(cnn);
const images = join(dir, 'images');
noisyImageFolder(images, 10, 3, 32, 32);
const input = PRESETS.cifar10;
const layers = computeLayers(importOnnxModel(loadModel(cnn), 'cnn', cnn)).map((l) => l.name);
const mix = { [layers[0]]: { a: 4, w: 4 }, [layers[1]]: { a: 8, w: 2 } };
const recipe = findRecipe('bitsplit');
const calibOpen = { limit: 8, seed: 3 };
const common = { model: cnn, recipe, calibration: dataRef(images, calibOpen), input, batchSize: 1, positions: 500, seed: 0 };
const qJob = quantizeJob({ ...common, bits: { aBits: 8, wBits: 8, firstLast: null, layerBits: mix } });
const label = (i: number) => `job ${i}`;

async function decode(samples: Parameters<typeof batches>[0]): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches(samples, input, { batchSize: 1 })) out.push(b);
  return out;
}

test('quantize and evaluate jobs give the bytes and accuracy of quantizeMix and evaluateBytes', async () => {
  const calib = await decode(openDataSet(images, calibOpen).samples);
  const dims = (b: Batch) => inputDims(input, b.count);
  const direct = await quantizeMix({
    source: loadModel(cnn), what: cnn, name: 'cnn', recipe,
    run: { calibration: { batches: async function* () { yield* calib; }, count: calib.length, inputDims: dims }, positions: 500, seed: 0 },
    key: [], cacheDir: null,
  }, mix);
  const [q] = (await executeJobs([qJob], { threads: 1, label })).results;
  const files = quantizedFiles(q);
  assert.ok(Buffer.from(files.hwq).equals(Buffer.from(direct.hwq)), 'the .hwq bytes');
  assert.ok(Buffer.from(files.qdq).equals(Buffer.from(direct.qdq)), 'the QDQ bytes');
  assert.ok(files.hwq.length > 1000 && files.qdq.length > 1000);

  const all = await decode(openDataSet(images).samples);
  const want = await evaluateBytes({ images: async () => all, dims, fixedBatch: 1, key: [], cacheDir: null }, direct.qdq);
  const eJob = evaluateJob({ model: files.qdq, data: dataRef(images), input, batchSize: 1, fixedBatch: 1 });
  const got = accuracyOf((await executeJobs([eJob], { threads: 1, label })).results[0]);
  assert.equal(got, { top1: want.top1, top5: want.top5, images: want.images, top1Hits: want.top1Hits });
  assert.is(got.images, 30);
});

test('keys by content: a model as bytes or as a file, a data set copied elsewhere; other bits, another key', () => {
  const bytes = new Uint8Array(readFileSync(cnn));
  const data = dataRef(images);
  assert.is(evaluateJob({ model: bytes, data, input, batchSize: 1 }).key, evaluateJob({ model: cnn, data, input, batchSize: 1 }).key);
  const copy = join(dir, 'copy');
  cpSync(images, copy, { recursive: true });
  assert.is(quantizeJob({ ...common, calibration: dataRef(copy, calibOpen), bits: qJob.spec.bits }).key, qJob.key);
  assert.is.not(quantizeJob({ ...common, bits: { ...qJob.spec.bits, layerBits: { ...mix, [layers[1]]: { a: 8, w: 4 } } } }).key, qJob.key);
  assert.is.not(quantizeJob({ ...common, calibration: dataRef(images, { limit: 8, seed: 4 }), bits: qJob.spec.bits }).key, qJob.key);
});

test('data changed since the job was made: refused with the path, not run on other images', async () => {
  const moved = join(dir, 'changing');
  cpSync(images, moved, { recursive: true });
  // the first five images: a data set no earlier test decoded (a process keeps the last one it decoded)
  const job = evaluateJob({ model: cnn, data: dataRef(moved, { limit: 5 }), input, batchSize: 1, fixedBatch: 1 });
  const first = readdirSync(join(moved, 'c0'))[0];
  writeFileSync(join(moved, 'c0', first), readFileSync(join(moved, 'c1', readdirSync(join(moved, 'c1'))[0])));
  try {
    await runJob(job.kind, job.spec);
    assert.unreachable('should refuse');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /^job data '.*changing' has changed since the job was made \(samples hash [0-9a-f]{12}, expected [0-9a-f]{12}\)$/);
  }
});

test('the cache keeps the model bytes as files beside the entry; a damaged file is a miss; prune removes them', async () => {
  const cache = join(dir, 'cache');
  const first = await executeJobs([qJob], { threads: 1, cacheDir: cache, label });
  const names = readdirSync(join(cache, QUANTIZE)).sort();
  assert.equal(names, [`${qJob.key}.0.bin`, `${qJob.key}.1.bin`, `${qJob.key}.json`]);
  const files = quantizedFiles(first.results[0]);
  assert.equal(new Uint8Array(readFileSync(join(cache, QUANTIZE, `${qJob.key}.0.bin`))), files.hwq);
  assert.ok(readFileSync(join(cache, QUANTIZE, `${qJob.key}.json`), 'utf8').length < 1000, 'the JSON holds no bytes');
  const again = await executeJobs([qJob], { threads: 1, cacheDir: cache, label });
  assert.equal(again.stats, { hits: 1, computed: 0, dispatched: 0 });
  assert.equal(again.results, first.results);

  writeFileSync(join(cache, QUANTIZE, `${qJob.key}.1.bin`), 'not the model');
  const redone = await executeJobs([qJob], { threads: 1, cacheDir: cache, label });
  assert.equal(redone.stats.computed, 1);
  assert.equal(redone.results, first.results);

  const [entry] = cacheFiles(cache);
  assert.is(entry.bytes, names.reduce((a, n) => a + readFileSync(join(cache, QUANTIZE, n)).length, 0));
  assert.is(prune(cache, { kind: QUANTIZE }).length, 1);
  assert.equal(readdirSync(join(cache, QUANTIZE)), []);
});

test.run();
