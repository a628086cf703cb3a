// End-to-end tests of `hwq calibrate`: the fit's report, board.json through `hwq sim` and `hwq sweep`, the
// refusal of a board by the published model, and one-line errors that name the bad line with nothing written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hwq, userError } from './run-hwq.js';

const tmp = mkdtempSync(join(tmpdir(), 'hwq-cli-calibrate-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

// bf-lenet5 as a board 1.6x to 2.5x slower than the ideal array, with a per-layer figure for one layer
const RUNS = 'network,precision,batch,latency_ms,layer\nbf-lenet5,a8w8,1,0.46,\nbf-lenet5,a4w4,1,0.30,\nbf-lenet5,file,4,0.52,\nbf-lenet5,a8w8,1,0.14,conv1\n';

test('calibrate fits, reports residuals and leave-one-out errors, and board.json runs in sim as fitted', async () => {
  const out = join(tmp, 'ok', 'board.json');
  const r = await hwq('calibrate', '--measured', csv('runs.csv', RUNS), '--config', 'bitfusion-asic', '--out', out, '--json');
  assert.is(r.code, 0, r.stderr);
  const fit = JSON.parse(r.stdout) as {
    params: Array<{ path: string; status: string; value: number }>;
    runs: Array<{ line: number; afterMs: number; leaveOneOut: number | null; residual: number }>;
  };
  assert.equal(fit.params.map((p) => p.path), [
    'board.computeEfficiency', 'dram.efficiency', 'board.layerOverheadCycles', 'board.tileOverheadCycles', 'board.dramLatencyCycles',
  ]);
  assert.equal(fit.runs.map((x) => x.line), [2, 3, 4, 5]);
  assert.ok(fit.runs.every((x) => x.leaveOneOut !== null && Number.isFinite(x.residual)));
  const file = JSON.parse(readFileSync(out, 'utf8'));
  assert.is(file.base, 'bitfusion-asic');
  assert.equal(Object.keys(file.board), ['computeEfficiency', 'layerOverheadCycles', 'tileOverheadCycles', 'dramLatencyCycles']);
  assert.equal(readdirSync(join(tmp, 'ok')), ['board.json']);
  // the round trip: hwq sim on board.json predicts what the fit said
  const sim = await hwq('sim', 'bf-lenet5', '--a8w8', '--config', out, '--json');
  assert.is(sim.code, 0, sim.stderr);
  const latency = JSON.parse(sim.stdout).latencyMs as number;
  assert.ok(Math.abs(latency / fit.runs[0].afterMs - 1) < 1e-3, `${latency} vs ${fit.runs[0].afterMs}`);
  const human = await hwq('sim', 'bf-lenet5', '--a8w8', '--config', out, '--per-layer');
  assert.match(human.stdout, /stall +overhead/);
  assert.match(human.stdout, /board overheads /);
  const sweep = await hwq('sweep', 'bf-lenet5', '--config', out, '--precisions', 'a8w8,a4w4', '--csv');
  assert.is(sweep.code, 0, sweep.stderr);
  // the published model has no board timing: it refuses rather than drop it
  const ref = userError(await hwq('sim', 'bf-lenet5', '--config', out, '--model', 'bitfusion-ref'), 'bitfusion-ref on a board');
  assert.match(ref, /board\.\w+ [0-9.e+]+.* not modelled by the published Bit Fusion simulator .*use --model cycle/);
});

test('--json gives the sigmas the table prints, in the config\'s units (the fit works in reciprocal efficiencies)', async () => {
  const runs = csv('four.csv', 'network,precision,latency_ms\nbf-lenet5,a8w8,0.46\nbf-lenet5,a4w4,0.30\nbf-lenet5,a2w2,0.25\nbf-lenet5,a8w4,0.35\n');
  const [j, t] = [await hwq('calibrate', '--measured', runs, '--config', 'bitfusion-asic', '--out', join(tmp, 'four-j.json'), '--json'),
    await hwq('calibrate', '--measured', runs, '--config', 'bitfusion-asic', '--out', join(tmp, 'four-t.json'))];
  const params = JSON.parse(j.stdout).params as Array<{ path: string; sigma: number | null }>;
  const withSigma = params.filter((p) => p.sigma !== null);
  assert.ok(withSigma.length > 0, 'some parameter has a sigma');
  for (const p of withSigma) {
    const row = t.stdout.split('\n').find((l) => l.startsWith(`${p.path} `))!;
    assert.ok(row.includes(` ${p.sigma!.toPrecision(4)} `), `${row} has no ${p.sigma}`);
  }
});

test('the human report names the fitted and the held parameters', async () => {
  const one = csv('one.csv', 'network,precision,latency_ms\nbf-lenet5,a8w8,0.5\n');
  const r = await hwq('calibrate', '--measured', one, '--config', 'bitfusion-asic', '--out', join(tmp, 'one.json'));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 of 5 parameters fitted, 0 degrees of freedom/);
  assert.match(r.stdout, /board\.computeEfficiency .* undetermined +fitted \(no degrees of freedom/);
  assert.match(r.stdout, /dram\.efficiency .* held: 1 run determines at most 1 parameter/);
  assert.match(r.stdout, /leave-one-out - \(needs two runs\)/);
});

test('a json --config is written out resolved, with the fitted fields', async () => {
  const cfg = join(tmp, 'mine.json');
  writeFileSync(cfg, JSON.stringify({ base: 'vc709', rows: 16 }));
  const out = join(tmp, 'mine-board.json');
  const two = csv('two.csv', 'network,precision,latency_ms\nbf-lenet5,a8w8,1.5\nbf-lenet5,a4w4,0.9\n');
  const r = await hwq('calibrate', '--measured', two, '--config', cfg, '--out', out);
  assert.is(r.code, 0, r.stderr);
  const file = JSON.parse(readFileSync(out, 'utf8'));
  assert.is(file.base, undefined);
  assert.is(file.rows, 16);
  assert.is(file.clockMHz, 200);
  assert.ok(file.board.computeEfficiency < 1);
  const sim = await hwq('sim', 'bf-lenet5', '--config', out);
  assert.is(sim.code, 0, sim.stderr);
});

const BAD: Array<[string, string, RegExp]> = [
  ['missing column', 'network,latency_ms\nbf-lenet5,0.4\n', /line 1: missing column precision \(needs network, precision, latency_ms; optional batch, layer\)/],
  ['unknown column', 'network,precision,latency_ms,speed\nbf-lenet5,a8w8,0.4,3\n',
    /line 1: unknown column 'speed' \(valid columns: network, precision, latency_ms, batch, layer\)/],
  ['bad latency', 'network,precision,latency_ms\nbf-lenet5,a8w8,0.4\nbf-lenet5,a4w4,fast\n',
    /line 3: latency_ms 'fast' must be a positive number of milliseconds/],
  ['zero latency', 'network,precision,latency_ms\nbf-lenet5,a8w8,0\n', /line 2: latency_ms '0' must be a positive/],
  ['bad batch', 'network,precision,latency_ms,batch\nbf-lenet5,a8w8,0.4,two\n', /line 2: batch 'two' must be a positive integer/],
  ['unknown network', 'network,precision,latency_ms\nlenet,a8w8,0.4\n', /line 2: unknown model 'lenet'/],
  ['bad precision', 'network,precision,latency_ms\nbf-lenet5,a8x8,0.4\n',
    /line 2: precision 'a8x8' is not of the form a<A>w<W>.*or 'file' for the network's own precisions/],
  ['unknown layer', 'network,precision,latency_ms,layer\nbf-lenet5,a8w8,0.4,conv9\n',
    /line 2: layer 'conv9' is not a compute layer of bf-lenet5 \(its compute layers: conv0, conv1, fc1, fc2\)/],
  ['repeated run', 'network,precision,latency_ms\nbf-lenet5,a8w8,0.4\nbf-lenet5,A8W8,0.5\n', /line 3: the same run as line 2/],
  ['short row', 'network,precision,latency_ms\nbf-lenet5,a8w8\n', /line 2: 2 fields, the header has 3/],
  ['no runs', 'network,precision,latency_ms\n', /has a header but no runs/],
  ['empty file', '', /is empty: it needs a header row/],
];

for (const [what, text, re] of BAD) {
  test(`refused: ${what}, nothing written`, async () => {
    const out = join(tmp, `bad-${what.replace(/ /g, '-')}.json`);
    const line = userError(await hwq('calibrate', '--measured', csv(`${what}.csv`, text), '--config', 'bitfusion-asic', '--out', out), what);
    assert.match(line, re);
    assert.not.ok(existsSync(out), `${out} written`);
  });
}

test('refused: a missing file, an unknown config, the input as the output', async () => {
  assert.match(userError(await hwq('calibrate', '--measured', join(tmp, 'nope.csv'), '--config', 'vc709', '--out', join(tmp, 'x.json')), 'missing'),
    /cannot read --measured '.*nope\.csv': no such file or folder/);
  const runs = csv('fine.csv', 'network,precision,latency_ms\nbf-lenet5,a8w8,0.4\n');
  assert.match(userError(await hwq('calibrate', '--measured', runs, '--config', 'vc710', '--out', join(tmp, 'x.json')), 'config'), /unknown config 'vc710'/);
  assert.match(userError(await hwq('calibrate', '--measured', runs, '--config', 'vc709', '--out', runs), 'same'), /--out .* is the measurements file/);
  assert.match(userError(await hwq('calibrate', '--config', 'vc709', '--out', join(tmp, 'x.json')), 'no --measured'), /measured/);
  assert.not.ok(existsSync(join(tmp, 'x.json')));
});

test.run();
