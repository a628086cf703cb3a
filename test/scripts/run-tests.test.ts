// scripts/run-tests.js, the runner behind `npm test`, `npm run test:unit` and `npm run test:rtl`, on a folder of
// small uvu test files: which files each tier picks, the unit tier's HWQ_NO_SHARED=1 skipping data-backed tests
// (withShared) even where the data exists, and a file that registers no test counting as a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, tempDir } from '../helpers.js';
import { type Run, runFile } from '../cli/run-hwq.js';

const root = tempDir('hwq-run-tests-');
const shared = tempDir('hwq-run-tests-shared-');
mkdirSync(join(shared, 'models'));
const url = (...parts: string[]): string => JSON.stringify(pathToFileURL(join(REPO_ROOT, ...parts)).href);
const file = (rel: string, body: string): void => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), `import { test } from ${url('node_modules', 'uvu', 'dist', 'index.mjs')};\n${body}\ntest.run();\n`);
};
file('quant/ok.test.js', "test('passes', () => {});");
file('quant/empty.test.js', '');
file('data/no-shared.test.js', "test('sees HWQ_NO_SHARED=1', () => { if (process.env.HWQ_NO_SHARED !== '1') throw new Error('HWQ_NO_SHARED is ' + process.env.HWQ_NO_SHARED); });");
file('data/shared.test.js', `import { withShared } from ${url('dist', 'test', 'helpers.js')};\nwithShared(test, 'reads models/', [['models']], () => {});`);
file('rtl/sim.test.js', "test.skip('needs verilator', () => {});\ntest('runs', () => {});");

const runner = join(REPO_ROOT, 'scripts', 'run-tests.js');
/** The runner on the fixture folder, with the fixture's shared folder and HWQ_NO_SHARED unset whatever tier runs this file. */
function run(...args: string[]): Promise<Run> {
  const saved = { HWQ_NO_SHARED: process.env.HWQ_NO_SHARED, HWQ_SHARED: process.env.HWQ_SHARED };
  delete process.env.HWQ_NO_SHARED;
  process.env.HWQ_SHARED = shared;
  try {
    return runFile(runner, ['--root', root, ...args], REPO_ROOT);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
const summary = (r: Run): string => r.stdout.trim().split('\n').at(-1) ?? '';
const ran = (r: Run): string[] => [...r.stdout.matchAll(/^# (\S+)/gm)].map((m) => m[1]).sort();

test('--tier unit: every file but rtl/, with HWQ_NO_SHARED=1 (data-backed tests skip); a file with no test fails the run', async () => {
  const r = await run('--tier', 'unit');
  assert.equal(ran(r), ['data/no-shared.test.js', 'data/shared.test.js', 'quant/empty.test.js', 'quant/ok.test.js']);
  assert.match(r.stdout, /# quant\/empty\.test\.js \([\d.]+ s\): registered no test, not even a skipped one saying why/);
  assert.match(r.stdout, /skip 'reads models\/': HWQ_NO_SHARED=1 \(unit tier\)/);
  assert.is(summary(r), '2 passed, 1 failed, 1 skipped');
  assert.is(r.code, 1);
});

test('--tier rtl: only rtl/; a skipped test counts as registered; the run passes', async () => {
  const r = await run('--tier', 'rtl');
  assert.equal(ran(r), ['rtl/sim.test.js']);
  assert.is(summary(r), '1 passed, 0 failed, 1 skipped');
  assert.is(r.code, 0, r.stdout);
});

test('the default tier runs everything, without HWQ_NO_SHARED; --exclude and filters narrow it', async () => {
  const all = await run();
  assert.equal(ran(all), ['data/no-shared.test.js', 'data/shared.test.js', 'quant/empty.test.js', 'quant/ok.test.js', 'rtl/sim.test.js']);
  assert.is(summary(all), '3 passed, 2 failed, 1 skipped', 'the data-backed test runs: its folder exists');
  const some = await run('--exclude', 'empty', '--exclude=no-shared', 'quant/', 'rtl/');
  assert.equal(ran(some), ['quant/ok.test.js', 'rtl/sim.test.js']);
  assert.is(summary(some), '2 passed, 0 failed, 1 skipped');
  assert.is(some.code, 0, some.stdout);
});

test('a bad tier or option: exit 2 and one line naming it and the choices', async () => {
  const [tier, opt] = await Promise.all([run('--tier', 'fast'), run('--only', 'x')]);
  assert.is(tier.code, 2);
  assert.is(tier.stderr, "run-tests: unknown tier 'fast': valid choices are all, unit, rtl\n");
  assert.is(opt.code, 2);
  assert.is(opt.stderr, "run-tests: unknown option '--only': valid options are --tier, --exclude, --root\n");
});

test.run();
