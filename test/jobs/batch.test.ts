// Batches of small jobs: executeJobs groups the missing jobs of a batchable kind into 'batch' jobs sized from a
// few jobs timed first, the results are those of one thread, each job is still cached (and found) on its own,
// and a job that fails inside a batch is reported under its own name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeJob, runJob } from '../../src/jobs/job.js';
import { BATCH_MS, batchSize, executeJobs, spread } from '../../src/jobs/execute.js';
import { SIM_POINT, SimPointSpec } from '../../src/jobs/kinds/sim-point.js';
import { BATCH } from '../../src/jobs/kinds/batch.js';
import { getPreset } from '../../hw/presets.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';

const base = getPreset('bitfusion-8x8')!;
/** 240 analytic-model points: about a millisecond each, the size batches are for. */
const points = (zoo = 'bf-lenet5') => {
  const out = [];
  for (let rows = 2; rows <= 32; rows += 2) {
    for (const cols of [4, 8, 16]) {
      for (const w of [2, 4, 8, 8]) {
        out.push(makeJob<SimPointSpec>(SIM_POINT, {
          network: { zoo }, config: { ...base, rows, cols }, precision: { uniform: { a: w === 8 ? 4 : 8, w } }, batch: 1, model: 'bitfusion-ref',
        }));
      }
    }
  }
  return out.slice(0, 180);
};
const label = (i: number) => `point ${i}`;

test('batch size: about BATCH_MS of work each, and several batches per lane', () => {
  assert.is(batchSize(1, 10_000, 2), Math.floor(BATCH_MS / 1));
  assert.is(batchSize(1, 80, 2), 10, 'few jobs: four batches per lane before long ones');
  assert.is(batchSize(500, 10_000, 2), 1, 'jobs longer than a batch go alone');
  assert.is(batchSize(0, 7, 2), 1);
});

test('the jobs timed first are spread over the list, each once', () => {
  assert.equal([...spread(8)], [0, 4, 2, 6, 1, 5, 3, 7]);
  for (const n of [1, 5, 13, 100]) assert.equal([...spread(n)].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.equal([...spread(100)].slice(0, 3), [0, 50, 25]);
});

test('threads run the jobs in batches: results equal one thread, each job cached alone, a partial cache fills the gaps', async () => {
  const jobs = points();
  const serial = await executeJobs(jobs, { threads: 1, label });
  assert.is(serial.stats.dispatched, 0, 'one thread sends nothing anywhere');
  const dir = tempDir('hwq-batch-');
  const seen: number[] = [];
  const pooled = await executeJobs(jobs, { threads: 2, cacheDir: dir, label, onProgress: (d) => seen.push(d) });
  assert.equal(pooled.results, serial.results);
  const unique = new Set(jobs.map((j) => j.key)).size;
  assert.is(pooled.stats.computed, unique);
  assert.ok(pooled.stats.dispatched < unique / 4, `${pooled.stats.dispatched} dispatches for ${unique} jobs`);
  assert.ok(pooled.stats.dispatched >= 2 * 4 * 0.5, `enough batches for two threads: ${pooled.stats.dispatched}`);
  assert.is(seen.at(-1), jobs.length);
  assert.ok(seen.every((d, i) => i === 0 || d >= seen[i - 1]), 'progress only grows');
  const files = readdirSync(join(dir, SIM_POINT));
  assert.is(files.length, unique, 'one cache entry per job, none per batch');
  assert.not.ok(readdirSync(dir).includes(BATCH));

  const removed = new Set(files.filter((_, i) => i % 3 === 0).map((f) => f.replace(/\.json$/, '')));
  for (const k of removed) rmSync(join(dir, SIM_POINT, `${k}.json`));
  const refill = await executeJobs(jobs, { threads: 2, cacheDir: dir, label });
  assert.equal(refill.results, serial.results);
  assert.is(refill.stats.computed, removed.size, 'only the removed jobs ran');
  assert.is(refill.stats.hits, jobs.filter((j) => !removed.has(j.key)).length);
});

test('a failing job inside a batch is named; the jobs that finished before it are cached', async () => {
  const jobs = points().filter((j, i, all) => all.findIndex((x) => x.key === j.key) === i);
  const bad = makeJob<SimPointSpec>(SIM_POINT, { network: { zoo: 'no-such-net' }, config: base, precision: {}, batch: 1, model: 'bitfusion-ref' });
  // the position timed last of all: in a batch, not among the jobs timed here first
  const at = [...spread(jobs.length + 1)].at(-1)!;
  jobs.splice(at, 0, bad);
  const dir = tempDir('hwq-batch-bad-');
  try {
    await executeJobs(jobs, { threads: 2, cacheDir: dir, label });
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, new RegExp(`^point ${at}: unknown model 'no-such-net'`));
  }
  assert.ok(readdirSync(join(dir, SIM_POINT)).length > jobs.length / 2, 'finished members were kept');
});

test('the batch kind runs each member and returns every outcome; it refuses a kind that is not batchable', async () => {
  const jobs = points().slice(0, 3);
  const specs = [jobs[0].spec, { ...jobs[1].spec, network: { zoo: 'nope' } }, jobs[2].spec];
  const out = await runJob(BATCH, { kind: SIM_POINT, specs }) as Array<{ ok: boolean }>;
  assert.equal(out.map((o) => o.ok), [true, false, true]);
  assert.equal((out[0] as unknown as { result: unknown }).result, await runJob(SIM_POINT, jobs[0].spec));
  try {
    await runJob(BATCH, { kind: 'quantize', specs: [] });
    assert.unreachable('should refuse');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /job kind 'quantize' cannot be batched: batchable kinds are sim-point/);
  }
});

test.run();
