// End-to-end tests of `hwq sim`: the real launcher (bin/hwq.js) in a child process, so argument parsing,
// precision shorthands, output formats, exit codes and error messages are checked exactly as a user sees them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Run, hwq, hwqAll, userError } from './run-hwq.js';

interface LayerJson { name: string; kind: string; precision: { a: number; w: number }; hwPrecision: { a: number; w: number }; macs: number; totalCycles: number; energy: { totalPJ: number } }
interface SimJson { simulator: string; model: string; config: string; precision: string; batch: number; macs: number; totalCycles: number; latencyMs: number; energyUJ: number; layers: LayerJson[] }

function parseSim(r: Run, what: string): SimJson {
  assert.is(r.code, 0, `${what}: exit ${r.code}, stderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as SimJson;
}

const RESNET18_MACS = 1814073344;
const RESNET18_LAYERS = 21;

const tmp = mkdtempSync(join(tmpdir(), 'hwq-cli-sim-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('sim --a4w4 --json: fields, MACs, totals equal the sums over 21 layers; fewer bits take fewer cycles', async () => {
  const [r44, r84, r88] = await hwqAll([
    ['sim', 'resnet18', '--a4w4', '--json'],
    ['sim', 'resnet18', '--a8w4', '--json'],
    ['sim', 'resnet18', '--a8w8', '--json'],
  ]);
  const a4w4 = parseSim(r44, 'a4w4');
  assert.is(a4w4.model, 'resnet18');
  assert.is(a4w4.config, 'bitfusion-8x8');
  assert.is(a4w4.precision, 'a4w4');
  assert.is(a4w4.simulator, 'cycle');
  assert.is(a4w4.batch, 1);
  assert.is(a4w4.macs, RESNET18_MACS);
  assert.is(a4w4.layers.length, RESNET18_LAYERS);
  for (const l of a4w4.layers) {
    assert.type(l.name, 'string');
    assert.ok(Number.isInteger(l.totalCycles) && l.totalCycles > 0, `${l.name} totalCycles ${l.totalCycles}`);
    assert.equal(l.precision, { a: 4, w: 4 });
  }
  assert.is(a4w4.layers[0].name, 'conv1');
  assert.is(a4w4.layers[RESNET18_LAYERS - 1].name, 'fc');
  assert.is(a4w4.totalCycles, a4w4.layers.reduce((s, l) => s + l.totalCycles, 0));
  assert.is(a4w4.macs, a4w4.layers.reduce((s, l) => s + l.macs, 0));
  // bitfusion-8x8 runs at 500 MHz: latency is cycles / 500e3 ms; energy is the layer sum in uJ.
  assert.ok(Math.abs(a4w4.latencyMs - a4w4.totalCycles / 500e3) < 1e-9, `latency ${a4w4.latencyMs}`);
  const energyUJ = a4w4.layers.reduce((s, l) => s + l.energy.totalPJ, 0) / 1e6;
  assert.ok(Math.abs(a4w4.energyUJ - energyUJ) < 1e-6 * energyUJ, `energy ${a4w4.energyUJ} vs ${energyUJ}`);

  const a8w4 = parseSim(r84, 'a8w4');
  const a8w8 = parseSim(r88, 'a8w8');
  assert.is(a8w4.precision, 'a8w4');
  assert.is(a8w8.precision, 'a8w8');
  assert.ok(a8w8.totalCycles > a8w4.totalCycles, `a8w8 ${a8w8.totalCycles} > a8w4 ${a8w4.totalCycles}`);
  assert.ok(a8w4.totalCycles > a4w4.totalCycles, `a8w4 ${a8w4.totalCycles} > a4w4 ${a4w4.totalCycles}`);
});

test('--model bitfusion-ref --a8w8 reproduces the published ResNet-18 figure (28,467,925 cycles)', async () => {
  const r = parseSim(await hwq('sim', 'resnet18', '--model', 'bitfusion-ref', '--a8w8', '--json'), 'bitfusion-ref');
  assert.is(r.simulator, 'bitfusion-ref');
  assert.is(r.config, 'bitfusion-8x8');
  assert.is(r.totalCycles, 28467925);
  assert.is(r.layers.length, RESNET18_LAYERS);
});

test('--first-last 8 changes only the first and last layer; --layer-precisions overrides named layers', async () => {
  const overrides = join(tmp, 'overrides.json');
  writeFileSync(overrides, JSON.stringify({ 'layer1.0.conv1': 'a2w2', fc: { a: 8, w: 2 } }));
  const unknown = join(tmp, 'unknown-layer.json');
  writeFileSync(unknown, JSON.stringify({ conv1: 'a4w4', 'layer9.conv7': 'a2w2' }));
  const [plain, fl, ov, bad] = await hwqAll([
    ['sim', 'resnet18', '--a4w4', '--json'], // shared with the first test's run
    ['sim', 'resnet18', '--a4w4', '--first-last', '8', '--json'],
    ['sim', 'resnet18', '--a4w4', '--layer-precisions', overrides, '--json'],
    ['sim', 'resnet18', '--a4w4', '--layer-precisions', unknown, '--json'],
  ]);
  const p = parseSim(plain, 'plain');
  const f = parseSim(fl, 'first-last');
  assert.is(f.precision, 'mixed');
  f.layers.forEach((l, i) => {
    const edge = i === 0 || i === f.layers.length - 1;
    assert.equal(l.precision, edge ? { a: 8, w: 8 } : { a: 4, w: 4 }, l.name);
    // Layers between keep their a4w4 result exactly; the 8-bit edges take longer.
    if (edge) assert.ok(l.totalCycles > p.layers[i].totalCycles, `${l.name} slower at 8 bits`);
    else assert.is(l.totalCycles, p.layers[i].totalCycles, l.name);
  });

  const o = parseSim(ov, 'overrides');
  assert.is(o.precision, 'mixed');
  for (const l of o.layers) {
    const want = l.name === 'layer1.0.conv1' ? { a: 2, w: 2 } : l.name === 'fc' ? { a: 8, w: 2 } : { a: 4, w: 4 };
    assert.equal(l.precision, want, l.name);
  }

  const msg = userError(bad, 'unknown layer in overrides');
  assert.ok(msg.includes("'layer9.conv7'"), msg);
  assert.ok(msg.includes('conv1'), `lists real layer names: ${msg}`);
});

test('--csv: header and one row per layer whose cycles add up to the JSON total; --per-layer lists every layer', async () => {
  const [json, csv, perLayer] = await hwqAll([
    ['sim', 'resnet18', '--a4w4', '--json'],
    ['sim', 'resnet18', '--a4w4', '--csv'],
    ['sim', 'resnet18', '--a4w4', '--per-layer'],
  ]);
  const j = parseSim(json, 'json');
  assert.is(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.is(lines.length, 1 + RESNET18_LAYERS);
  const header = lines[0].split(',');
  const layerCol = header.indexOf('layer');
  const cyclesCol = header.indexOf('cycles');
  assert.ok(layerCol >= 0 && cyclesCol >= 0, `header: ${lines[0]}`);
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.equal(rows.map((r) => r[layerCol]), j.layers.map((l) => l.name));
  assert.is(rows.reduce((s, r) => s + Number(r[cyclesCol]), 0), j.totalCycles);

  assert.is(perLayer.code, 0, perLayer.stderr);
  for (const l of j.layers) assert.ok(new RegExp(`^${l.name.replace(/\./g, '\\.')}\\s`, 'm').test(perLayer.stdout), `--per-layer shows ${l.name}`);
  assert.ok(perLayer.stdout.includes(j.totalCycles.toLocaleString('en-US')), 'total cycles printed');
});

test('--a3w5: reported at a3w5, every layer runs on the hardware at the next supported widths (a4, w8)', async () => {
  const r = parseSim(await hwq('sim', 'resnet18', '--a3w5', '--json'), 'a3w5');
  assert.is(r.precision, 'a3w5');
  for (const l of r.layers) {
    assert.equal(l.precision, { a: 3, w: 5 }, l.name);
    assert.equal(l.hwPrecision, { a: 4, w: 8 }, l.name);
  }
});

test.run();
