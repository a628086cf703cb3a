// A small quantization campaign through a real redis-server and two `hwq worker` processes: mixes of per-layer
// precisions quantized, then their QDQ models evaluated, with one worker SIGKILLed while it holds a job. Every
// result arrives, and each is exactly what the same jobs give run in this process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { skipTest, tempDir } from '../helpers.js';
import { hasTool } from '../../rtl/sim.js';
import { noisyImageFolder, tinyCnn } from '../cli/quantize-fixtures.js';
import { loadModel } from '../../src/onnx/proto.js';
import { importOnnxModel } from '../../src/model/onnx-import.js';
import { computeLayers, type Precision } from '../../src/model/ir.js';
import { findRecipe } from '../../src/quant/recipes.js';
import { PRESETS } from '../../src/data/preprocess.js';
import { executeJobs } from '../../src/jobs/execute.js';
import { queueId } from '../../src/jobs/queue.js';
import { dataRef } from '../../src/jobs/data-ref.js';
import { quantizeJob, quantizedFiles } from '../../src/jobs/kinds/quantize.js';
import { evaluateJob } from '../../src/jobs/kinds/evaluate.js';
import { completedJobs, redisCommand, redisWithWorkers } from './redis-server.js';

const NAME = 'quantize, evaluate through Redis with two workers, one SIGKILLed: results equal a local run';

if (!hasTool('redis-server')) {
  skipTest(test, NAME, 'redis-server not found on PATH (apt-get install redis-server)');
} else {
  const dir = tempDir('hwq-quant-queue-');
  const fixture = redisWithWorkers(test.after, 1000);
  const workers = fixture.workers;

  test(NAME, async () => {
    const cnn = join(dir, 'cnn.onnx');
    tinyCnn(cnn);
    const images = join(dir, 'images');
    noisyImageFolder(images, 10, 2, 32, 32);
    const layers = computeLayers(importOnnxModel(loadModel(cnn), 'cnn', cnn)).map((l) => l.name);
    const widths: Precision[] = [{ a: 8, w: 8 }, { a: 8, w: 4 }, { a: 4, w: 4 }, { a: 8, w: 2 }];
    const input = PRESETS.cifar10;
    const calibration = dataRef(images, { limit: 6, seed: 1 });
    const quantize = widths.flatMap((p0) => widths.slice(0, 2).map((p1) => quantizeJob({
      model: cnn, recipe: findRecipe('bitsplit'), calibration, input, batchSize: 1, positions: 300, seed: 0,
      bits: { aBits: 8, wBits: 8, firstLast: null, layerBits: { [layers[0]]: p0, [layers[1]]: p1 } },
    })));
    const data = dataRef(images);
    const evaluations = (qs: unknown[]) => qs.map((q) => evaluateJob({ model: quantizedFiles(q).qdq, data, input, batchSize: 1, fixedBatch: 1 }));
    const label = (i: number) => `job ${i}`;

    const localQ = (await executeJobs(quantize, { threads: 1, label })).results;
    const localE = (await executeJobs(evaluations(localQ), { threads: 1, label })).results;

    const redis = await fixture.start();
    const url = redis.url;
    fixture.worker(join(dir, 'w1'));
    fixture.worker(join(dir, 'w2'));
    await Promise.all(workers.map((w) => w.ready));
    const completed = () => completedJobs(redis.port);
    const active = async () => Number(await redisCommand(redis.port, 'LLEN', 'hwq:hwq-jobs:active'));
    let killedAt = -1;
    const remoteQ = await executeJobs(quantize, {
      queue: url, threads: 1, label,
      onProgress: (done) => {
        if (done >= 1 && killedAt < 0) {
          workers[0].child.kill('SIGKILL');
          killedAt = done;
        }
      },
    });
    assert.ok(killedAt >= 1 && killedAt < quantize.length, `killed mid-run (${killedAt}/${quantize.length} done)`);
    assert.is(remoteQ.stats.computed, quantize.length);
    assert.equal(remoteQ.results, localQ, 'the quantized bytes equal the local run');
    const stalls = await Promise.all(quantize.map((j) => redisCommand(redis.port, 'HGET', `hwq:hwq-jobs:${queueId(j)}`, 'stc')));
    assert.ok(stalls.some((n) => Number(n) >= 1), `a job the killed worker held was taken over: ${stalls.join(',')}`);

    const remoteE = await executeJobs(evaluations(remoteQ.results), { queue: url, threads: 1, label });
    assert.equal(remoteE.results, localE, 'the accuracies equal the local run');
    assert.is(await completed(), quantize.length + quantize.length);
    assert.is(await active(), 0);
    assert.match(workers[1].stderr(), /serving redis:\/\/127\.0\.0\.1:\d+ \(queue hwq-jobs\) with 1 threads/);
  });
}

test.run();
