// The result cache: hits and misses by key, damaged entries, listing and pruning by age and kind, and
// executeJobs reading what an earlier run stored instead of running it again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { makeJob } from '../../src/jobs/job.js';
import { cacheFiles, OTHER_KIND, parseAge, prune, readResult, summarize, writeResult, writeResultAsync } from '../../src/jobs/result-cache.js';
import { executeJobs } from '../../src/jobs/execute.js';
import { SIM_POINT } from '../../src/jobs/kinds/sim-point.js';
import { getPreset } from '../../hw/presets.js';
import { UserError } from '../../src/errors.js';
import { tempDir, throwsUser } from '../helpers.js';

const cfg = getPreset('bitfusion-8x8')!;
const point = (w: number) => makeJob(SIM_POINT, { network: { zoo: 'bf-lenet5' }, config: cfg, precision: { uniform: { a: 8, w } }, batch: 1, model: 'cycle' });

test('miss, then hit after a write; a damaged or foreign entry is a miss', () => {
  const dir = tempDir('hwq-rc-');
  const job = point(4);
  assert.is(readResult(dir, job), undefined);
  writeResult(dir, job, { totalCycles: 42 });
  assert.equal(readResult(dir, job), { result: { totalCycles: 42 } });
  assert.ok(existsSync(join(dir, SIM_POINT, `${job.key}.json`)));
  writeFileSync(join(dir, SIM_POINT, `${job.key}.json`), '{"kind":');
  assert.is(readResult(dir, job), undefined);
  const other = point(2);
  writeFileSync(join(dir, SIM_POINT, `${job.key}.json`), JSON.stringify({ kind: SIM_POINT, key: other.key, version: 'x', result: 1 }));
  assert.is(readResult(dir, job), undefined);
});

test('listing counts entries and bytes per kind; files outside the job model are kind other', () => {
  const dir = tempDir('hwq-rc-');
  writeResult(dir, point(8), { a: 1 });
  writeResult(dir, point(4), { a: 2 });
  writeFileSync(join(dir, 'codesign-table.json'), '{"x":1}');
  const kinds = summarize(cacheFiles(dir));
  assert.equal(kinds.map((k) => [k.kind, k.entries]), [[OTHER_KIND, 1], [SIM_POINT, 2]]);
  assert.is(kinds[0].bytes, 7);
  assert.equal(cacheFiles(join(dir, 'absent')), []);
});

test('prune by age (last use) and by kind; a read counts as use', () => {
  const dir = tempDir('hwq-rc-');
  const [old, used, fresh] = [point(8), point(4), point(2)];
  for (const j of [old, used, fresh]) writeResult(dir, j, { w: j.key });
  writeFileSync(join(dir, 'other.json'), '{}');
  const tenDaysAgo = new Date(Date.now() - 10 * 86400e3);
  for (const j of [old, used]) utimesSync(join(dir, SIM_POINT, `${j.key}.json`), tenDaysAgo, tenDaysAgo);
  utimesSync(join(dir, 'other.json'), tenDaysAgo, tenDaysAgo);
  assert.ok(readResult(dir, used));
  const removed = prune(dir, { cutoffMs: Date.now() - parseAge('7d'), kind: SIM_POINT });
  assert.equal(removed.map((f) => f.path), [join(dir, SIM_POINT, `${old.key}.json`)]);
  assert.ok(readResult(dir, used) && readResult(dir, fresh));
  assert.is(prune(dir, { kind: OTHER_KIND }).length, 1);
  assert.is(prune(dir, {}).length, 2);
  assert.equal(cacheFiles(dir), []);
});

test('ages: s m h d w; anything else is refused naming the text', () => {
  assert.is(parseAge('7d'), 7 * 86400e3);
  assert.is(parseAge('90s'), 90e3);
  assert.is(parseAge('1.5h'), 5400e3);
  assert.is(parseAge('2w'), 14 * 86400e3);
  for (const bad of ['7', 'd', '-1d', '0d', '7 days', '7y']) throwsUser(() => parseAge(bad), new RegExp(`'${bad}' is not an age`));
});

test('executeJobs: results in list order, equal keys run once, a second run reads every result from the cache', async () => {
  const dir = tempDir('hwq-rc-');
  const jobs = [point(8), point(4), point(8), point(2)];
  const first = await executeJobs(jobs, { cacheDir: dir, threads: 1, label: (i) => `job ${i}` });
  assert.equal(first.stats, { hits: 0, computed: 3, dispatched: 0 });
  assert.equal(first.results[0], first.results[2]);
  assert.is.not((first.results[0] as { totalCycles: number }).totalCycles, (first.results[1] as { totalCycles: number }).totalCycles);
  const seen: number[] = [];
  const second = await executeJobs(jobs, { cacheDir: dir, threads: 1, label: (i) => `job ${i}`, onProgress: (d) => seen.push(d) });
  assert.equal(second.stats, { hits: 4, computed: 0, dispatched: 0 });
  assert.equal(second.results, first.results);
  assert.equal(seen, [4]);
  const none = await executeJobs(jobs, { cacheDir: undefined, threads: 1, label: (i) => `job ${i}` });
  assert.equal(none.stats, { hits: 0, computed: 3, dispatched: 0 });
  assert.equal(none.results, first.results);
});

test('a failing job names its label in a UserError; nothing is cached for it', async () => {
  const dir = tempDir('hwq-rc-');
  const bad = makeJob(SIM_POINT, { network: { zoo: 'no-such-net' }, config: cfg, precision: {}, batch: 1, model: 'cycle' });
  try {
    await executeJobs([point(8), bad], { cacheDir: dir, threads: 1, label: (i) => `point ${i}` });
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /^point 1: unknown model 'no-such-net'/);
  }
  assert.is(readResult(dir, bad), undefined);
  assert.ok(readResult(dir, point(8)), 'the finished job before it was kept');
});

test('an asynchronous write finds its folder again after it was removed', async () => {
  const dir = tempDir('hwq-rc-async-');
  await writeResultAsync(dir, point(8), { a: 1 });
  rmSync(dir, { recursive: true });
  await writeResultAsync(dir, point(4), { a: 2 });
  assert.equal(readResult(dir, point(4)), { result: { a: 2 } });
});

test.run();
