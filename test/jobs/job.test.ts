// The job model: keys are stable for equal work and change with every input, file inputs count by content.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { CODE_VERSION, fileRef, jobKey, jobKinds, makeJob, runJob, runJobOutcome } from '../../src/jobs/job.js';
import { networkOf, SIM_POINT, SimPointSpec } from '../../src/jobs/kinds/sim-point.js';
import { getPreset } from '../../hw/presets.js';
import { getNetwork } from '../../src/model/zoo.js';
import { runSimulation } from '../../src/cli/sim-options.js';
import { tempDir } from '../helpers.js';

const cfg = getPreset('bitfusion-8x8')!;
const spec = (over: Partial<SimPointSpec> = {}): SimPointSpec => ({
  network: { zoo: 'bf-lenet5' }, config: cfg, precision: { uniform: { a: 4, w: 4 } }, batch: 1, model: 'cycle', ...over,
});

test('sim-point is registered; the code version names the package version and the job format', () => {
  assert.ok(jobKinds().includes(SIM_POINT));
  assert.match(CODE_VERSION, /^\d+\.\d+\.\d+.*\+jobs\d+$/);
});

test('a key is stable for equal specs (key order, undefined fields) and changes with every input', () => {
  const k = jobKey(SIM_POINT, spec());
  assert.match(k, /^[0-9a-f]{64}$/);
  const reordered = {
    model: 'cycle', batch: 1, precision: { uniform: { w: 4, a: 4 }, firstLast: undefined }, config: { ...cfg }, network: { zoo: 'bf-lenet5' },
  };
  assert.is(jobKey(SIM_POINT, reordered), k);
  const changed = [
    jobKey(SIM_POINT, spec({ network: { zoo: 'bf-cifar10' } })),
    jobKey(SIM_POINT, spec({ config: { ...cfg, rows: cfg.rows + 1 } })),
    jobKey(SIM_POINT, spec({ config: { ...cfg, name: 'renamed' } })),
    jobKey(SIM_POINT, spec({ precision: { uniform: { a: 4, w: 2 } } })),
    jobKey(SIM_POINT, spec({ precision: { uniform: { a: 4, w: 4 }, firstLast: 8 } })),
    jobKey(SIM_POINT, spec({ batch: 2 })),
    jobKey(SIM_POINT, spec({ model: 'bitfusion-ref' })),
    jobKey('another-kind', spec()),
  ];
  assert.is(new Set([k, ...changed]).size, changed.length + 1);
});

test('a digest memo shared by a batch of jobs gives the keys computed without it', () => {
  const memo = new Map<object, string>();
  const shared = { ...cfg, rows: 16 };
  const specs = [spec({ config: shared }), spec({ config: shared, batch: 4 }), spec({ config: { ...shared }, model: 'bitfusion-ref' })];
  assert.equal(specs.map((x) => makeJob(SIM_POINT, x, memo).key), specs.map((x) => jobKey(SIM_POINT, x)));
  assert.ok(memo.has(shared), 'the shared config was digested once and kept');
});

test('a file input counts by content: same bytes elsewhere give the same key, other bytes another', () => {
  const dir = tempDir('hwq-job-');
  const [a, b, c] = ['a.onnx', 'b.onnx', 'c.onnx'].map((n) => join(dir, n));
  writeFileSync(a, 'model bytes');
  writeFileSync(b, 'model bytes');
  writeFileSync(c, 'other bytes');
  const key = (p: string) => jobKey(SIM_POINT, spec({ network: { file: fileRef(p) } }));
  assert.is(key(a), key(b));
  assert.is.not(key(a), key(c));
  assert.is(fileRef(a).sha256, fileRef(b).sha256);
});

test('a sim-point job gives the whole-network figures of the simulation, without the layers', async () => {
  const job = makeJob(SIM_POINT, spec());
  const r = await runJob(job.kind, job.spec) as Record<string, unknown>;
  const direct = runSimulation(getNetwork('bf-lenet5'), cfg, 'cycle', 1, { uniform: { a: 4, w: 4 } });
  assert.is(r.totalCycles, direct.totalCycles);
  assert.is(r.energyUJ, direct.energyUJ);
  assert.is(r.precision, 'a4w4');
  assert.not.ok('layers' in r);
});

test('a network is loaded once per process and kept by source', () => {
  assert.is(networkOf({ zoo: 'bf-cifar10' }), networkOf({ zoo: 'bf-cifar10' }));
});

test('outcomes: bad input is the job\'s own fault (UserError, one message), an unknown kind too', async () => {
  const bad = await runJobOutcome(SIM_POINT, spec({ network: { zoo: 'no-such-net' } }));
  assert.is(bad.ok, false);
  if (!bad.ok) {
    assert.is(bad.user, true);
    assert.match(bad.message, /unknown model 'no-such-net'/);
  }
  const unknown = await runJobOutcome('no-such-kind', {});
  assert.ok(!unknown.ok && unknown.user && /unknown job kind 'no-such-kind': valid kinds are .*sim-point/.test(unknown.message));
  const moved = await runJobOutcome(SIM_POINT, spec({ network: { file: { path: join(tempDir(), 'gone.onnx'), sha256: '0'.repeat(64) } } }));
  assert.ok(!moved.ok && moved.user && /gone\.onnx' cannot be read here: ENOENT/.test(moved.message), JSON.stringify(moved));
});

test.run();
