// `hwq codesign --queue` through a real redis-server and two `hwq worker` processes: the sensitivities (one job per
// candidate precision), the mixes and their accuracies all run on the workers, and the files written are byte for
// byte those of the same campaign run in this process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { skipTest, tempDir } from '../helpers.js';
import { hasTool } from '../../rtl/sim.js';
import { hwq } from './run-hwq.js';
import { noisyImageFolder, tinyCnn } from './quantize-fixtures.js';
import { completedJobs, redisWithWorkers } from '../jobs/redis-server.js';

const NAME = 'codesign through Redis with two workers: sensitivities, mixes and accuracies as jobs, the files of a local run';

if (!hasTool('redis-server')) {
  skipTest(test, NAME, 'redis-server not found on PATH (apt-get install redis-server)');
} else {
  const T = tempDir('hwq-codesign-queue-');
  const fixture = redisWithWorkers(test.after, 10_000);
  const workers = fixture.workers;

  test(NAME, async () => {
    const cnn = join(T, 'cnn.onnx');
    tinyCnn(cnn);
    const calib = join(T, 'calib');
    const data = join(T, 'test');
    noisyImageFolder(calib, 10, 3, 32, 32, 1);
    noisyImageFolder(data, 10, 2, 32, 32, 2);
    const args = [cnn, '--config', 'vc709', '--calib', calib, '--data', data, '--recipe', 'tflite', '--calib-size', '12', '--held-out', '6',
      '--points', '2', '--uniform', 'a8w8,a4w4', '--no-progress', '--json'];
    const redis = await fixture.start();
    for (const w of ['w1', 'w2']) fixture.worker(join(T, w));
    // the local run while the workers start
    const local = await hwq('codesign', ...args, '--cache', join(T, 'local-cache'), '--out', join(T, 'local'));
    assert.is(local.code, 0, local.stderr);
    await Promise.all(workers.map((w) => w.ready));
    const cache = join(T, 'queue-cache');
    const queued = await hwq('codesign', ...args, '--cache', cache, '--queue', redis.url, '--out', join(T, 'queue'));
    assert.is(queued.code, 0, queued.stderr);

    const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
    const localFiles = files(join(T, 'local'));
    assert.equal(files(join(T, 'queue')), localFiles);
    for (const f of localFiles.filter((f) => f.endsWith('.csv') || f.endsWith('.hwq'))) {
      assert.ok(readFileSync(join(T, 'queue', f)).equals(readFileSync(join(T, 'local', f))), f);
    }
    assert.ok(localFiles.filter((f) => f.endsWith('.hwq')).length >= 3, localFiles.join(' '));
    const o = JSON.parse(queued.stdout) as { sensitivity: { damage: number[][]; cached: boolean } };
    assert.equal(o.sensitivity, (JSON.parse(local.stdout) as typeof o).sensitivity);
    // the nine candidate precisions went out as jobs, and the workers ran every job the campaign sent
    const sent = ['sensitivity', 'quantize', 'evaluate'].map((k) => readdirSync(join(cache, k)).filter((f) => f.endsWith('.json')).length);
    assert.is(sent[0], 9);
    assert.is(await completedJobs(redis.port), sent[0] + sent[1] + sent[2]);
    for (const w of workers) assert.match(w.stderr(), /serving redis:\/\/127\.0\.0\.1:\d+/);
  });
}

test.run();
