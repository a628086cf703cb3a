// End-to-end tests of `hwq sweep`: output files, speedups, array-size sweeps and all-or-nothing failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hwq } from './run-hwq.js';
import { presetNames } from '../../hw/presets.js';

interface Point { model: string; config: string; rows: number; cols: number; precision: string; totalCycles: number; speedup: number; macs: number }

const tmp = mkdtempSync(join(tmpdir(), 'hwq-cli-sweep-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('sweep --out writes sweep.csv (4 points), sweep.md and sweep.svg; a8w8 rows have speedup 1.000', async () => {
  const out = join(tmp, 'ok');
  const r = await hwq('sweep', 'resnet18', '--precisions', 'a8w8,a4w4', '--configs', 'vc709,bitfusion-asic', '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(out).sort(), ['sweep.csv', 'sweep.md', 'sweep.svg'], 'exactly the three files, no temp files left');

  const lines = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
  assert.is(lines.length, 5, 'header + 4 rows');
  const header = lines[0].split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    assert.ok(i >= 0, `column ${name} in ${lines[0]}`);
    return i;
  };
  const rows = lines.slice(1).map((l) => l.split(','));
  const [cfg, prec, speedup, cycles, macs] = ['config', 'precision', 'speedup', 'totalCycles', 'macs'].map(col);
  assert.equal(rows.map((x) => `${x[cfg]} ${x[prec]}`), ['vc709 a8w8', 'vc709 a4w4', 'bitfusion-asic a8w8', 'bitfusion-asic a4w4']);
  for (const x of rows) {
    assert.is(x[macs], '1814073344');
    if (x[prec] === 'a8w8') assert.is(x[speedup], '1.000');
  }
  // Speedup is the a8w8 cycles over the a4w4 cycles of the same config, rounded to 3 decimals.
  for (const c of ['vc709', 'bitfusion-asic']) {
    const base = rows.find((x) => x[cfg] === c && x[prec] === 'a8w8')!;
    const q = rows.find((x) => x[cfg] === c && x[prec] === 'a4w4')!;
    assert.is(q[speedup], (Number(base[cycles]) / Number(q[cycles])).toFixed(3), c);
    assert.ok(Number(q[speedup]) > 2, `${c} a4w4 speedup ${q[speedup]}`);
  }

  const md = readFileSync(join(out, 'sweep.md'), 'utf8');
  assert.ok(md.startsWith('# '), 'markdown title');
  assert.ok(md.includes('| model | config |'), 'markdown table header');
  assert.is(md.split('\n').filter((l) => l.startsWith('| resnet18 |')).length, 4);
  const svg = readFileSync(join(out, 'sweep.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
  assert.ok(svg.trimEnd().endsWith('</svg>'), 'complete svg');
  assert.ok(svg.includes('vc709') && svg.includes('bitfusion-asic'), 'legend names the configs');
});

test('a bad config or array size anywhere in the list: exit 2, one message line, output directory not created', async () => {
  const outA = join(tmp, 'bad-config');
  const outB = join(tmp, 'bad-array');
  const [a, b] = await Promise.all([
    hwq('sweep', 'resnet18', '--precisions', 'a8w8,a4w4', '--configs', 'vc709,bitfusion-9000', '--out', outA),
    hwq('sweep', 'resnet18', '--precisions', 'a8w8,a4w4', '--configs', 'vc709', '--arrays', '8x8,16by16', '--out', outB),
  ]);
  for (const [r, out, bad] of [[a, outA, "'bitfusion-9000'"], [b, outB, "'16by16'"]] as const) {
    assert.is(r.code, 2, r.stderr);
    assert.not.ok(r.stderr.includes('    at '), r.stderr);
    const msg = r.stderr.split('\n').filter((l) => l.startsWith('hwq: '));
    assert.is(msg.length, 1, r.stderr);
    assert.ok(msg[0].includes(bad), msg[0]);
    assert.not.ok(existsSync(out), `${out} must not be created`);
  }
  for (const n of presetNames()) assert.ok(a.stderr.includes(n), `lists preset ${n}: ${a.stderr}`);
});

test('--arrays 8x8,16x16 doubles the points; the 8x8 point of vc709 equals plain vc709; --json is parseable', async () => {
  const [plain, arrays] = await Promise.all([
    hwq('sweep', 'resnet18', '--precisions', 'a8w8,a4w4', '--configs', 'vc709', '--json'),
    hwq('sweep', 'resnet18', '--precisions', 'a8w8,a4w4', '--configs', 'vc709', '--arrays', '8x8,16x16', '--json'),
  ]);
  assert.is(plain.code, 0, plain.stderr);
  assert.is(arrays.code, 0, arrays.stderr);
  const p = JSON.parse(plain.stdout) as Point[];
  const q = JSON.parse(arrays.stdout) as Point[];
  assert.is(p.length, 2);
  assert.is(q.length, 2 * p.length);
  assert.equal(q.map((x) => `${x.rows}x${x.cols} ${x.precision}`).sort(), ['16x16 a4w4', '16x16 a8w8', '8x8 a4w4', '8x8 a8w8']);
  for (const x of p) {
    const same = q.find((y) => y.rows === 8 && y.cols === 8 && y.precision === x.precision)!;
    assert.is(same.totalCycles, x.totalCycles, `vc709 is 8x8: ${x.precision}`);
    const big = q.find((y) => y.rows === 16 && y.cols === 16 && y.precision === x.precision)!;
    assert.ok(big.totalCycles < x.totalCycles, `16x16 faster than 8x8 at ${x.precision}`);
  }
  assert.is(p[0].speedup, 1);
  assert.is(p[1].speedup, p[0].totalCycles / p[1].totalCycles);
});

test.run();
