// `hwq codesign` end to end on a small CNN: the files it writes, each point's models taken as they are by hwq sim,
// hwq sweep and hwq quantize, the exact search's answer against enumeration, the cache on a rerun with another goal,
// and the refusals of bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { hwq, userError } from './run-hwq.js';
import { noisyImageFolder, tinyCnn } from './quantize-fixtures.js';
import { enumerateAssignment } from '../../src/codesign/assignment.js';
import { candidateGrid, costTable } from '../../src/codesign/cost-table.js';
import { getPreset } from '../../hw/presets.js';
import { importOnnxModel } from '../../src/model/onnx-import.js';
import { loadModel } from '../../src/onnx/proto.js';

const T = tempDir('hwq-codesign-');
const cnn = join(T, 'cnn.onnx');
tinyCnn(cnn);
const calib = join(T, 'calib');
const data = join(T, 'test');
noisyImageFolder(calib, 10, 4, 32, 32, 1);
noisyImageFolder(data, 10, 3, 32, 32, 2);
const cache = join(T, 'cache');
const base = [cnn, '--config', 'vc709', '--calib', calib, '--data', data, '--recipe', 'tflite', '--calib-size', '16', '--cache', cache, '--no-progress'];
const heldOut = ['--held-out', '8'];

interface Point {
  id: string; kind: string; config: string; folder: string; precisions: Array<{ a: number; w: number }>;
  predicted: { damage: number; latencyMs: number }; measured: { latencyMs: number; cycles: number; top1: number };
}
interface Out {
  layers: string[]; points: Point[]; chosen?: string | null; cache: { quantizeHits: number; quantizeRuns: number; evalHits: number };
  sensitivity: { damage: number[][]; candidates: Array<{ a: number; w: number }>; cached: boolean };
}

test('a front: files written, every point simulated as its .hwq says, the sums of the cost tables equal to hwq sim', async () => {
  const out = join(T, 'front');
  const r = await hwq('codesign', ...base, ...heldOut, '--out', out, '--json');
  assert.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as Out;
  for (const f of ['front.csv', 'front.md', 'front.svg', 'sensitivity.csv']) assert.ok(existsSync(join(out, f)), f);
  assert.is(o.layers.length, 2);
  assert.equal(o.sensitivity.damage.map((row) => row.length), [9, 9]);
  const searched = o.points.filter((p) => p.kind === 'searched');
  assert.ok(searched.length >= 2, `${searched.length} searched points`);
  assert.equal(o.points.filter((p) => p.kind === 'uniform').map((p) => p.id), ['a8w8', 'a8w4', 'a4w4', 'a4w2', 'a2w2']);
  const csv = readFileSync(join(out, 'front.csv'), 'utf8').trim().split('\n');
  assert.is(csv.length, o.points.length + 1);
  for (const p of searched) {
    const model = join(out, p.folder, 'cnn.hwq');
    const sim = await hwq('sim', model, '--config', 'vc709', '--json');
    assert.is(sim.code, 0, sim.stderr);
    const s = JSON.parse(sim.stdout) as { totalCycles: number; latencyMs: number; layers: Array<{ precision: { a: number; w: number } }> };
    assert.equal(s.layers.map((l) => l.precision), p.precisions, `${p.id}: the .hwq carries the mix`);
    assert.is(s.totalCycles, p.measured.cycles, `${p.id}: cycles`);
    assert.ok(Math.abs(p.predicted.latencyMs - p.measured.latencyMs) <= 1e-9 * p.measured.latencyMs, `${p.id}: predicted ${p.predicted.latencyMs} vs ${p.measured.latencyMs}`);
    // the layer-precisions file is the one hwq sim, hwq sweep and hwq quantize read
    const lp = join(out, p.folder, 'layer-precisions.json');
    const sw = await hwq('sweep', cnn, '--config', 'vc709', '--precisions', 'a8w8', '--layer-precisions', lp, '--json');
    assert.is(sw.code, 0, sw.stderr);
    assert.is((JSON.parse(sw.stdout) as Array<{ totalCycles: number }>)[0].totalCycles, p.measured.cycles, `${p.id}: sweep --layer-precisions`);
    const sweepHwq = await hwq('sweep', model, '--config', 'vc709', '--precisions', 'a8w8', '--json');
    assert.is(sweepHwq.code, 0, sweepHwq.stderr);
  }
  const md = readFileSync(join(out, 'front.md'), 'utf8');
  assert.match(md, /Rank correlation \(Spearman\)/);
  assert.match(readFileSync(join(out, 'front.svg'), 'utf8'), /^<svg/);
});

test('a budget: the point is the exact optimum of the sensitivity table under the cost table (checked by enumeration)', async () => {
  const net = importOnnxModel(loadModel(cnn), 'cnn', cnn);
  const t = costTable(net, getPreset('vc709')!, () => candidateGrid());
  const costs = t.layers.map((l) => l.costs.map((c) => c.cycles / (t.clockMHz * 1e3)));
  const budget = (costs[0][0] + costs[1][0] + costs[0][8] + costs[1][8]) / 2;
  const r = await hwq('codesign', ...base, ...heldOut, '--budget', `${budget}ms`, '--uniform', 'none', '--out', join(T, 'budget'), '--json');
  assert.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as Out;
  // the sensitivities came from the front run's cache, and so did any quantized mix it had measured
  assert.ok(o.sensitivity.cached, 'sensitivities from the cache');
  const want = enumerateAssignment({ damage: o.sensitivity.damage, limits: [{ name: 'latency', cost: costs, budget }] })!;
  const chosen = o.points.find((p) => p.id === o.chosen)!;
  assert.ok(chosen, `chosen ${o.chosen}`);
  assert.equal(chosen.precisions, want.choice.map((c) => o.sensitivity.candidates[c]));
  assert.ok(chosen.measured.latencyMs <= budget * (1 + 1e-9));
});

test('a rerun of the same front is served from the cache', async () => {
  const r = await hwq('codesign', ...base, ...heldOut, '--out', join(T, 'again'), '--json');
  assert.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as Out;
  assert.ok(o.sensitivity.cached);
  assert.is(o.cache.quantizeRuns, 0, 'no mix quantized again');
  assert.ok(o.cache.quantizeHits > 0);
});

test('--max-drop answers with the cheapest measured point within the drop (or says none)', async () => {
  const r = await hwq('codesign', ...base, ...heldOut, '--max-drop', '100', '--uniform', 'none', '--out', join(T, 'maxdrop'), '--json');
  assert.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as Out;
  assert.ok(o.chosen, 'a drop of 100 points is always met');
  const chosen = o.points.find((p) => p.id === o.chosen)!;
  assert.is(chosen.measured.latencyMs, Math.min(...o.points.map((p) => p.measured.latencyMs)));
});

test('sensitivities and mixes as jobs on two threads: the same table and front as in this process, cached as jobs', async () => {
  const jobsCache = join(T, 'jobs-cache');
  const args = [cnn, '--config', 'vc709', '--calib', calib, '--data', data, '--recipe', 'tflite', '--calib-size', '16', '--no-progress', ...heldOut, '--points', '2'];
  const local = await hwq('codesign', ...args, '--cache', join(T, 'local-cache'), '--out', join(T, 'local'), '--json');
  assert.is(local.code, 0, local.stderr);
  const jobs = await hwq('codesign', ...args, '--cache', jobsCache, '--jobs', '2', '--out', join(T, 'jobs'), '--json');
  assert.is(jobs.code, 0, jobs.stderr);
  for (const f of ['sensitivity.csv', 'front.csv']) assert.is(readFileSync(join(T, 'jobs', f), 'utf8'), readFileSync(join(T, 'local', f), 'utf8'), f);
  assert.equal(readFileSync(join(T, 'jobs', 'points', 'p1', 'cnn.hwq')), readFileSync(join(T, 'local', 'points', 'p1', 'cnn.hwq')));
  const o = JSON.parse(jobs.stdout) as Out;
  assert.equal(o.sensitivity, (JSON.parse(local.stdout) as Out).sensitivity);
  // one job per candidate precision, each in the job cache
  assert.is(readdirSync(join(jobsCache, 'sensitivity')).filter((f) => f.endsWith('.json')).length, 9);
  assert.ok(o.cache.quantizeRuns > 0 && o.cache.quantizeHits === 0);
  const again = JSON.parse((await hwq('codesign', ...args, '--cache', jobsCache, '--jobs', '2', '--out', join(T, 'jobs2'), '--json')).stdout) as Out;
  assert.is(again.cache.quantizeRuns, 0, 'every mix from the job cache');
  assert.match(userError(await hwq('codesign', ...args, '--queue', 'http://x', '--out', join(T, 'never')), 'bad queue'), /redis:\/\//);
});

test('bad input is refused before any work, naming the input and the valid choices', async () => {
  const nonEmpty = join(T, 'full');
  mkdirSync(nonEmpty, { recursive: true });
  writeFileSync(join(nonEmpty, 'x'), '');
  const cases: Array<[string[], RegExp]> = [
    [['--front', '--budget', '1ms'], /give one of --max-drop, --budget and --front \(got --budget and --front\)/],
    [['--budget', '3 KiB'], /--budget '3 KiB' must be a positive latency with a unit of/],
    [['--objective', 'speed'], /--objective.*speed.*latency, energy, size/],
    [['--widths', '2,3'], /--widths '3' is not a width every config runs \(valid: 2, 4, 8\)/],
    [['--held-out', '500'], /has 40 images: --held-out 500 needs more/],
    [['--recipe', 'bitspilt'], /bitsplit/],
    [['--config', 'vc709,vc709'], /names a config twice/],
    [['--uniform', 'a4x4'], /a4x4/],
  ];
  for (const [extra, re] of cases) {
    // a flag of the case replaces the same flag of the common arguments (yargs would make a list of both)
    const common = [...base, ...heldOut];
    const kept = common.filter((v, k) => !extra.includes(v) && !(k > 0 && extra.includes(common[k - 1]) && common[k - 1].startsWith('--')));
    const args = [...kept, '--out', join(T, 'never'), ...extra];
    const r = await hwq('codesign', ...args);
    assert.match(userError(r, extra.join(' ')), re);
  }
  assert.match(userError(await hwq('codesign', ...base, ...heldOut, '--out', nonEmpty), 'non-empty out'), /exists and is not empty: pass --force/);
  assert.not.ok(existsSync(join(T, 'never')), 'nothing written on failure');
  assert.equal(readdirSync(nonEmpty), ['x']);
});

test.run();
