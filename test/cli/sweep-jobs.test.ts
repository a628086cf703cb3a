// `hwq sweep` run as jobs: local threads and one thread give byte-identical files, in point order; the result
// cache serves a rerun; --jobs/--cache/--queue mistakes are one-line user errors. And `hwq cache list|prune`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { hwq, runCaptured, userError } from './run-hwq.js';
import { tempDir } from '../helpers.js';
import { runLocal } from '../../src/jobs/pool.js';
import { makeJob, Outcome } from '../../src/jobs/job.js';
import { SIM_POINT } from '../../src/jobs/kinds/sim-point.js';
import { getPreset } from '../../hw/presets.js';

const tmp = tempDir('hwq-sweep-jobs-');
const cache = join(tmp, 'cache');
const SWEEP = ['sweep', 'bf-lenet5', 'bf-cifar10', 'resnet18', '--precisions', 'a8w8,a2w2', '--arrays', '8x8,8x32', '--configs', 'vc709,bitfusion-asic'];
const POINTS = 3 * 2 * 2 * 2;
const files = (dir: string) => Object.fromEntries(['sweep.csv', 'sweep.md', 'sweep.svg'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

test('--jobs 2 (threads), --jobs 1 (this process), cold and warm cache: the same bytes in CSV, Markdown and SVG', async () => {
  const runs = {
    serial: await hwq(...SWEEP, '--jobs', '1', '--no-cache', '--out', join(tmp, 'serial')),
    pool: await hwq(...SWEEP, '--jobs', '2', '--no-cache', '--out', join(tmp, 'pool')),
    cold: await hwq(...SWEEP, '--jobs', '2', '--cache', cache, '--out', join(tmp, 'cold')),
    warm: await hwq(...SWEEP, '--jobs', '2', '--cache', cache, '--out', join(tmp, 'warm')),
  };
  for (const [name, r] of Object.entries(runs)) assert.is(r.code, 0, `${name}: ${r.stderr}`);
  const serial = files(join(tmp, 'serial'));
  assert.is(serial['sweep.csv'].trim().split('\n').length, POINTS + 1);
  // the enumeration order: network, config, array, precision
  assert.match(serial['sweep.csv'].split('\n')[1], /^bf-lenet5,vc709,8,8,a8w8,/);
  assert.match(serial['sweep.csv'].split('\n')[POINTS], /^resnet18,bitfusion-asic,8,32,a2w2,/);
  for (const name of ['pool', 'cold', 'warm']) assert.equal(files(join(tmp, name)), serial, name);
  assert.is(readdirSync(join(cache, SIM_POINT)).length, POINTS);
});

test('the warm run reads every point from the cache (a planted result shows up in the output)', async () => {
  const out = join(tmp, 'planted');
  const entries = readdirSync(join(cache, SIM_POINT)).map((f) => join(cache, SIM_POINT, f));
  const target = entries.find((p) => JSON.parse(readFileSync(p, 'utf8')).result.totalCycles > 0)!;
  const entry = JSON.parse(readFileSync(target, 'utf8'));
  entry.result.macs = 123456789;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(target, JSON.stringify(entry));
  const r = await hwq(...SWEEP, '--jobs', '1', '--cache', cache, '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.ok(files(out)['sweep.csv'].includes(',123456789,'), 'the planted value came from the cache');
});

test('threads run the jobs through the pool worker file; outcomes arrive for every index', async () => {
  const cfg = getPreset('bitfusion-8x8')!;
  const names = ['no-such-a', 'no-such-b', 'no-such-c'];
  const jobs = names.map((zoo) => makeJob(SIM_POINT, { network: { zoo }, config: cfg, precision: {}, batch: 1, model: 'cycle' }));
  const got: Array<[number, Outcome]> = [];
  await runLocal(jobs, 2, (i, o) => got.push([i, o]));
  assert.equal(got.map(([i]) => i).sort(), [0, 1, 2]);
  for (const [i, o] of got) {
    assert.ok(!o.ok && o.user, JSON.stringify(o));
    if (!o.ok) {
      assert.match(o.message, new RegExp(`unknown model '${names[i]}'`));
      assert.ok(/pool-worker\.[jt]s/.test(o.stack ?? ''), `ran on a pool thread: ${o.stack}`);
    }
  }
});

test('hwq cache list and prune: counts, sizes, --json, --kind, --older-than', async () => {
  const list = await runCaptured(['cache', 'list', '--cache', cache, '--json']);
  assert.is(list.code, 0, list.stderr);
  const kinds = JSON.parse(list.stdout).kinds as Array<{ kind: string; entries: number; bytes: number }>;
  assert.equal(kinds.map((k) => [k.kind, k.entries]), [[SIM_POINT, POINTS]]);
  assert.ok(kinds[0].bytes > 100 * POINTS, `${kinds[0].bytes} bytes`);
  const text = await runCaptured(['cache', 'list', '--cache', cache]);
  assert.match(text.stdout, new RegExp(`: ${POINTS} entries, .*\\n.*kind +entries +size[^\\n]*\\n[- ]+\\nsim-point +${POINTS} `));

  const entries = readdirSync(join(cache, SIM_POINT));
  const old = new Date(Date.now() - 8 * 86400e3);
  for (const f of entries.slice(0, 5)) utimesSync(join(cache, SIM_POINT, f), old, old);
  const pruned = await runCaptured(['cache', 'prune', '--cache', cache, '--older-than', '7d', '--kind', SIM_POINT, '--json']);
  assert.is(pruned.code, 0, pruned.stderr);
  assert.is(JSON.parse(pruned.stdout).removed, 5);
  assert.is(readdirSync(join(cache, SIM_POINT)).length, POINTS - 5);
  const all = await runCaptured(['cache', 'prune', '--cache', cache]);
  assert.match(all.stdout, new RegExp(`^removed ${POINTS - 5} entries \\(.*\\) from `));
  assert.match((await runCaptured(['cache', 'list', '--cache', cache])).stdout, /: empty\n$/);
});

test('bad --jobs, --cache, --queue, cache options: one line naming the input', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['sweep', 'resnet18', '--jobs', '0'], /--jobs '0' must be an integer >= 1/],
    [['sweep', 'resnet18', '--jobs', 'many'], /--jobs 'many'/],
    [['sweep', 'resnet18', '--cache'], /--cache needs a folder/],
    [['sweep', 'resnet18', '--queue', 'http://host:6379'], /--queue 'http:\/\/host:6379' is not a Redis URL: write redis:\/\/host:port/],
    [['sweep', 'resnet18', '--queue', 'redis://127.0.0.1:1'], /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: ECONNREFUSED/],
    [['sweep', 'resnet18', '--queue', 'redis://127.0.0.1:1', '--jobs', '2'], /--queue and --jobs cannot be given together/],
    [['worker'], /missing required --queue/],
    [['worker', '--queue', 'redis://h:6379', '--concurrency', '0'], /--concurrency '0' must be an integer >= 1/],
    [['worker', '--queue', 'localhost:6379'], /--queue 'localhost:6379' is not a Redis URL/],
    [['cache', 'tidy'], /unknown --action 'tidy': valid choices are list, prune|Invalid values/],
    [['cache', 'prune', '--older-than', '7x', '--cache', cache], /--older-than '7x' is not an age: give a number and a unit s, m, h, d or w/],
    [['cache', 'list', '--older-than', '7d', '--cache', cache], /--older-than applies to hwq cache prune, not list/],
    [['cache', 'prune', '--kind', 'sim-pont', '--cache', cache], /unknown --kind 'sim-pont': valid choices are evaluate, other, quantize, rtl-image, rtl-system-image, sensitivity, sim-point/],
    [['cache', 'list', '--no-cache'], /needs a cache folder: give --cache DIR, not --no-cache/],
  ];
  for (const [args, re] of cases) assert.match(userError(await hwq(...args), args.join(' ')), re, args.join(' '));
});

test.run();
