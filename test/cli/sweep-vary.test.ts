// End-to-end tests of `hwq sweep --vary`: config fields as sweep axes (lists and expressions over other axes),
// the labelled points and their CSV columns, and the refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hwq, userError } from './run-hwq.js';
import { tempDir } from '../helpers.js';

interface Point {
  model: string; config: string; rows: number; cols: number; precision: string; totalCycles: number; speedup: number;
  varied?: Record<string, number | boolean>;
}

const tmp = tempDir('hwq-cli-sweep-vary-');
const NET = ['sweep', 'bf-lenet5', '--precisions', 'a8w8,a4w4', '--config', 'vc709'];

test('--vary: lists form a product, cols=2*rows follows rows; sweep.csv has a column per varied field', async () => {
  const out = join(tmp, 'csv');
  const r = await hwq(...NET, '--vary', 'rows=8,16', '--vary', 'cols=2*rows', '--vary', 'wbuf.bytes=64 KiB,256 KiB', '--out', out);
  assert.is(r.code, 0, r.stderr);
  const lines = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
  assert.is(lines.length, 1 + 2 * 2 * 2, 'header + 4 designs x 2 precisions');
  assert.ok(lines[0].startsWith('model,config,rows,cols,wbuf.bytes,precision,totalCycles,'), lines[0]);
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.equal(rows.filter((x) => x[5] === 'a8w8').map((x) => x.slice(1, 5).join(' ')), [
    'vc709 rows=8 cols=16 wbuf.bytes=64KiB 8 16 65536',
    'vc709 rows=8 cols=16 wbuf.bytes=256KiB 8 16 262144',
    'vc709 rows=16 cols=32 wbuf.bytes=64KiB 16 32 65536',
    'vc709 rows=16 cols=32 wbuf.bytes=256KiB 16 32 262144',
  ]);
  const md = readFileSync(join(out, 'sweep.md'), 'utf8');
  assert.ok(md.includes('| bf-lenet5 | vc709 rows=16 cols=32 wbuf.bytes=64KiB | 16x32 | a4w4 |'), md);
  assert.ok(readFileSync(join(out, 'sweep.svg'), 'utf8').includes('vc709 rows=16 cols=32 wbuf.bytes=64KiB'), 'the chart names the points');
});

test('a --vary point simulates exactly as the config file with the same fields; --vary may come before the networks', async () => {
  const f = join(tmp, 'v16x32.json');
  writeFileSync(f, JSON.stringify({ base: 'vc709', rows: 16, cols: 32, wbuf: { bytes: '64 KiB' } }));
  const [varied, file] = await Promise.all([
    hwq('sweep', '--vary', 'rows=8,16', 'bf-lenet5', '--precisions', 'a8w8,a4w4', '--config', 'vc709',
      '--vary', 'cols=2*rows', '--vary', 'wbuf.bytes=64 KiB', '--json'),
    hwq('sweep', 'bf-lenet5', '--precisions', 'a8w8,a4w4', '--config', f, '--json'),
  ]);
  assert.is(varied.code, 0, varied.stderr);
  assert.is(file.code, 0, file.stderr);
  const v = (JSON.parse(varied.stdout) as Point[]).filter((p) => p.rows === 16);
  const plain = JSON.parse(file.stdout) as Point[];
  assert.is(v.length, 2);
  assert.equal(v.map((p) => [p.precision, p.totalCycles, p.speedup]), plain.map((p) => [p.precision, p.totalCycles, p.speedup]));
  assert.equal(v[0].varied, { rows: 16, cols: 32, 'wbuf.bytes': 65536 });
  assert.is(v[0].config, 'vc709 rows=16 cols=32 wbuf.bytes=64KiB');
  assert.is(plain[0].varied, undefined, 'a sweep without --vary has no varied fields');
});

test('--vary applies to every config of --configs; a DRAM bandwidth is divided by each one\'s clock', async () => {
  const r = await hwq('sweep', 'bf-lenet5', '--precisions', 'a8w8', '--configs', 'vc709,bitfusion-asic',
    '--vary', 'dram.bitsPerCycle=1866 MT/s * 64 bit', '--json');
  assert.is(r.code, 0, r.stderr);
  const pts = JSON.parse(r.stdout) as Point[];
  assert.equal(pts.map((p) => [p.config, p.varied!['dram.bitsPerCycle']]), [
    ['vc709 dram.bitsPerCycle=1866MT/s*64bit', 597],
    ['bitfusion-asic dram.bitsPerCycle=1866MT/s*64bit', 238],
  ]);
});

test('--vary refusals: exit 2, one line naming the axis, no output written', async () => {
  const out = join(tmp, 'never');
  const cases: Array<[string[], RegExp]> = [
    [['--vary', 'rowz=8,16'], /--vary 'rowz=8,16': unknown field 'rowz' \(did you mean 'rows'\?\)/],
    [['--vary', 'cols=2*rows', '--vary', 'rows=cols/2'], /--vary 'cols=2\*rows' and 'rows=cols\/2' read each other \(cols -> rows -> cols\)/],
    [['--vary', 'rows=8', '--vary', 'rows=16'], /rows is varied twice/],
    [['--vary', 'rows=8,16', '--arrays', '8x8,16x16'], /--arrays and --vary rows=\.\.\. both set rows/],
    [['--vary', 'cols=2*rows'], /'rows' is not varied/],
    [['--vary', 'wbuf.bytes=64 MHz'], /--vary point 'vc709 wbuf\.bytes=64MHz': wbuf\.bytes: '64 MHz' is a frequency, expected a size such as '64 KiB'/],
    [['--vary', 'rows=8,0'], /--vary point 'vc709 rows=0': rows must be an integer in 1\.\.4096 \(got 0\)/],
    [['--vary', 'wbuf.bytes=sqrt(64) KiB'], /calls a function \(sqrt\)/],
    [['--vary'], /--vary needs a value/],
  ];
  for (const [args, re] of cases) assert.match(userError(await hwq(...NET, ...args, '--out', out), args.join(' ')), re);
  assert.not.ok(existsSync(out), `${out} must not be created`);
});

test('--vary with --arrays on other fields: the product of both', async () => {
  const r = await hwq('sweep', 'bf-lenet5', '--precisions', 'a8w8', '--config', 'vc709', '--arrays', '8x8,16x16', '--vary', 'obuf.bytes=8 KiB,32 KiB', '--csv');
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines[0].startsWith('model,config,rows,cols,obuf.bytes,precision,'), lines[0]);
  assert.equal(lines.slice(1).map((l) => l.split(',').slice(1, 5).join(' ')), [
    'vc709 obuf.bytes=8KiB 8 8 8192',
    'vc709 obuf.bytes=32KiB 8 8 32768',
    'vc709 obuf.bytes=8KiB 16 16 8192',
    'vc709 obuf.bytes=32KiB 16 16 32768',
  ]);
});

test.run();
