// hwq sweep --queue against a real redis-server with two `hwq worker` processes: one is SIGKILLed in the middle
// and the sweep still completes with exactly the points of a local run; an interrupted submitter re-attaches to
// its jobs; a job with bad input is reported once and not retried.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hwq } from '../cli/run-hwq.js';
import { REPO_ROOT, skipTest, tempDir } from '../helpers.js';
import { hasTool } from '../../rtl/sim.js';
import { executeJobs } from '../../src/jobs/execute.js';
import { makeJob } from '../../src/jobs/job.js';
import { SIM_POINT } from '../../src/jobs/kinds/sim-point.js';
import { getPreset } from '../../hw/presets.js';
import { UserError } from '../../src/errors.js';
import { redisCommand, startRedis } from './redis-server.js';

const HWQ = join(REPO_ROOT, 'bin', 'hwq.js');
const COMPLETED = 'hwq:hwq-jobs:completed';
const ARRAYS = Array.from({ length: 12 }, (_, i) => `${4 + 2 * i}x${8 + 4 * (i % 3)}`).join(',');
const sweepArgs = (precisions: string) => ['sweep', 'resnet18', 'bf-cifar10', '--precisions', precisions, '--arrays', ARRAYS, '--configs', 'bitfusion-8x8'];

interface Proc { child: ChildProcess; stderr: () => string; done: Promise<number | null> }

function start(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [HWQ, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return { child, stderr: () => err, done: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (!hasTool('redis-server')) {
  skipTest(test, 'sweep through Redis with two workers, one killed', 'redis-server not found on PATH (apt-get install redis-server)');
} else {
  const tmp = tempDir('hwq-queue-');
  const env = { HWQ_CACHE: join(tmp, 'worker-cache') };
  const procs: Proc[] = [];
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  test.after(() => {
    for (const p of procs) p.child.kill('SIGKILL');
    redis?.stop();
  });
  const completed = async () => Number(await redisCommand(redis!.port, 'ZCARD', COMPLETED));
  const csvAndMd = (dir: string) => ['sweep.csv', 'sweep.md'].map((f) => readFileSync(join(dir, f), 'utf8'));

  test('two workers, one SIGKILLed mid-sweep: every point completes, CSV and Markdown equal the local run', async () => {
    redis = await startRedis();
    const workerArgs = ['worker', '--queue', redis.url, '--concurrency', '1', '--lock-ms', '1000'];
    const [w1, w2] = [start(workerArgs, env), start(workerArgs, env)];
    procs.push(w1, w2);
    const local = await hwq(...sweepArgs('a8w8,a4w4'), '--jobs', '1', '--no-cache', '--out', join(tmp, 'local'));
    assert.is(local.code, 0, local.stderr);
    const total = 2 * 2 * 12;

    const sweep = start([...sweepArgs('a8w8,a4w4'), '--queue', redis.url, '--no-cache', '--out', join(tmp, 'queued')], env);
    procs.push(sweep);
    await until('a third of the points', async () => (await completed()) >= total / 3);
    w1.child.kill('SIGKILL');
    const atKill = await completed();
    assert.ok(atKill < total, `the worker was killed before the end (${atKill}/${total} done)`);
    assert.is(await sweep.done, 0, sweep.stderr());
    assert.is(await completed(), total);
    assert.equal(csvAndMd(join(tmp, 'queued')), csvAndMd(join(tmp, 'local')));
    assert.match(w2.stderr(), /serving redis:\/\/127\.0\.0\.1:\d+ \(queue hwq-jobs\) with 1 threads/);
  });

  test('submitting the same sweep again attaches to the finished jobs: same files, no new job', async () => {
    const r = await hwq(...sweepArgs('a8w8,a4w4'), '--queue', redis!.url, '--no-cache', '--out', join(tmp, 'again'));
    assert.is(r.code, 0, r.stderr);
    assert.is(await completed(), 48);
    assert.equal(csvAndMd(join(tmp, 'again')), csvAndMd(join(tmp, 'local')));
  });

  test('an interrupted submitter leaves its jobs running; run again, it collects them', async () => {
    const args = sweepArgs('a8w8,a2w2');
    const before = await completed();
    const sub = start([...args, '--queue', redis!.url, '--no-cache', '--out', join(tmp, 'cut')], env);
    procs.push(sub);
    await until('the first results', async () => (await completed()) > before + 4);
    sub.child.kill('SIGTERM');
    assert.is(await sub.done, 143, sub.stderr());
    const [queued, local] = [
      await hwq(...args, '--queue', redis!.url, '--no-cache', '--out', join(tmp, 'resumed')),
      await hwq(...args, '--jobs', '1', '--no-cache', '--out', join(tmp, 'resumed-local')),
    ];
    assert.is(queued.code, 0, queued.stderr);
    assert.is(local.code, 0, local.stderr);
    assert.equal(csvAndMd(join(tmp, 'resumed')), csvAndMd(join(tmp, 'resumed-local')));
    assert.is(await completed(), before + 24, 'each job ran once');
  });

  test('many small jobs travel in batches: fewer queue jobs than points, each point cached, results of one thread', async () => {
    const base = getPreset('bitfusion-8x8')!;
    const jobs = [];
    for (let rows = 2; rows <= 40; rows += 2) {
      for (const cols of [4, 8, 16, 32]) {
        for (const w of [2, 4, 8]) {
          const config = { ...base, rows, cols };
          jobs.push(makeJob(SIM_POINT, { network: { zoo: 'bf-svhn' }, config, precision: { uniform: { a: 8, w } }, batch: 1, model: 'bitfusion-ref' }));
        }
      }
    }
    const before = await completed();
    const cache = join(tmp, 'batched-cache');
    const queued = await executeJobs(jobs, { queue: redis!.url, threads: 1, cacheDir: cache, label: String });
    const local = await executeJobs(jobs, { threads: 1, label: String });
    assert.equal(queued.results, local.results);
    const sent = (await completed()) - before;
    assert.is(sent, queued.stats.dispatched);
    assert.ok(sent > 1 && sent < jobs.length / 2, `${sent} queue jobs for ${jobs.length} points`);
    assert.is(readdirSync(join(cache, SIM_POINT)).length, jobs.length);
  });

  test('a job with bad input fails once with its message, unretried', async () => {
    const cfg = getPreset('bitfusion-8x8')!;
    const bad = makeJob(SIM_POINT, { network: { zoo: 'no-such-net' }, config: cfg, precision: {}, batch: 1, model: 'cycle' });
    try {
      await executeJobs([bad], { queue: redis!.url, threads: 1, cacheDir: undefined, label: () => 'the bad point' });
      assert.unreachable('should fail');
    } catch (e) {
      assert.instance(e, UserError, String((e as Error).stack));
      assert.match((e as Error).message, /^the bad point: unknown model 'no-such-net': give a zoo name/);
    }
    const id = `${SIM_POINT}-${bad.key}`;
    assert.is(await redisCommand(redis!.port, 'HGET', `hwq:hwq-jobs:${id}`, 'atm'), '1', 'one attempt');
    const refusals = procs.slice(0, 2).map((p) => p.stderr()).join('').split('\n').filter((l) => l.includes(`job ${id} refused`));
    assert.is(refusals.length, 1, refusals.join('\n'));
  });
}

test.run();
