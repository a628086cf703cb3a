// The designs of a sweep with --vary axes, enumerated without simulating: the product of the listed axes, the
// dependent axes computed per point, labels, values with units resolved per config, and every refusal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError } from '../../hw/config.js';
import { getPreset } from '../../hw/presets.js';
import { sweepHardware } from '../../sim/sweep.js';

const vc709 = getPreset('vc709')!;
const asic = getPreset('bitfusion-asic')!;
const designs = (vary: string[], configs = [vc709], arrays: Array<[number, number]> = []) => sweepHardware({ configs, arrays, vary });

test('no --vary: one design per config and array size, labelled by the config name, configs unchanged', () => {
  const hw = designs([], [vc709, asic], [[4, 4], [16, 16]]);
  assert.equal(hw.map((h) => `${h.label} ${h.config.rows}x${h.config.cols}`), ['vc709 4x4', 'vc709 16x16', 'bitfusion-asic 4x4', 'bitfusion-asic 16x16']);
  assert.ok(hw.every((h) => h.varied === undefined));
  assert.equal(designs([])[0].config, vc709);
});

test('lists form a product, the first axis outermost; a dependent axis is computed at every point', () => {
  const hw = designs(['rows=8,16,32', 'cols=2*rows', 'wbuf.bytes=64 KiB,256 KiB']);
  assert.equal(hw.map((h) => h.label), [
    'vc709 rows=8 cols=16 wbuf.bytes=64KiB',
    'vc709 rows=8 cols=16 wbuf.bytes=256KiB',
    'vc709 rows=16 cols=32 wbuf.bytes=64KiB',
    'vc709 rows=16 cols=32 wbuf.bytes=256KiB',
    'vc709 rows=32 cols=64 wbuf.bytes=64KiB',
    'vc709 rows=32 cols=64 wbuf.bytes=256KiB',
  ]);
  assert.equal(hw[3].varied, { rows: 16, cols: 32, 'wbuf.bytes': 262144 });
  const c = hw[3].config;
  assert.equal([c.rows, c.cols, c.wbuf.bytes, c.name], [16, 32, 262144, 'vc709 rows=16 cols=32 wbuf.bytes=256KiB']);
  // everything not varied is the config's own
  assert.equal({ ...c, name: vc709.name, rows: 8, cols: 8, wbuf: { ...c.wbuf, bytes: vc709.wbuf.bytes } }, vc709);
});

test('every config of the sweep gets every point; a bandwidth resolves with each config\'s clock', () => {
  const hw = designs(['dram.bitsPerCycle=1600 MT/s * 64 bit', 'obuf.doubleBuffered=true,false'], [vc709, asic]);
  assert.equal(hw.map((h) => `${h.label}: ${h.config.dram.bitsPerCycle}`), [
    'vc709 dram.bitsPerCycle=1600MT/s*64bit obuf.doubleBuffered=true: 512',
    'vc709 dram.bitsPerCycle=1600MT/s*64bit obuf.doubleBuffered=false: 512',
    // 500 MHz: 204.8 bits per cycle, rounded down
    'bitfusion-asic dram.bitsPerCycle=1600MT/s*64bit obuf.doubleBuffered=true: 204',
    'bitfusion-asic dram.bitsPerCycle=1600MT/s*64bit obuf.doubleBuffered=false: 204',
  ]);
  assert.equal(hw.map((h) => h.config.obuf.doubleBuffered), [true, false, true, false]);
  // a varied clock applies to the bandwidth of the same point
  const clocks = designs(['clockMHz=100 MHz,0.4 GHz', 'dram.bitsPerCycle=1600 MT/s * 64 bit']);
  assert.equal(clocks.map((h) => [h.config.clockMHz, h.config.dram.bitsPerCycle]), [[100, 1024], [400, 256]]);
});

test('dependents read dependents, with units, in any order given; coupled fields vary together', () => {
  const hw = designs(['ibuf.bytes=obuf.bytes*2', 'obuf.bytes=wbuf.bytes/4', 'wbuf.bytes=64 KiB,128 KiB']);
  assert.equal(hw.map((h) => h.label), [
    'vc709 ibuf.bytes=32KiB obuf.bytes=16KiB wbuf.bytes=64KiB',
    'vc709 ibuf.bytes=64KiB obuf.bytes=32KiB wbuf.bytes=128KiB',
  ]);
  assert.equal(hw.map((h) => [h.config.ibuf.bytes, h.config.obuf.bytes]), [[32768, 16384], [65536, 32768]]);
  const units = designs(['maxBits=4,16', 'bitBricksPerUnit=maxBits^2/4']);
  assert.equal(units.map((h) => [h.config.maxBits, h.config.bitBricksPerUnit]), [[4, 4], [16, 64]]);
});

/** Asserts the --vary list is refused with a ConfigError whose message matches. */
function refused(vary: string[], re: RegExp, arrays: Array<[number, number]> = []): void {
  assert.throws(() => designs(vary, [vc709], arrays), (e: Error) => e instanceof ConfigError && re.test(e.message), vary.join(' '));
}

test('refusals: unknown or text fields, an axis twice, cycles, names that are no axis, --arrays on rows/cols', () => {
  refused(['rowz=8,16'], /^--vary 'rowz=8,16': unknown field 'rowz' \(did you mean 'rows'\?\)$/);
  refused(['wbuf.byte=1'], /did you mean 'wbuf\.bytes'\?/);
  refused(['frobnicate=1'], /unknown field 'frobnicate' \(valid fields: rows, cols, /);
  refused(['technology=7nm'], /technology is text, not a design parameter/);
  refused(['rows=8', 'rows=16'], /^--vary 'rows=16': rows is varied twice \(also --vary 'rows=8'\): list its values in one --vary$/);
  refused(['cols=2*rows', 'rows=cols/2'], /^--vary 'cols=2\*rows' and 'rows=cols\/2' read each other \(cols -> rows -> cols\)/);
  refused(['rows=8', 'cols=ibuf.bytes', 'ibuf.bytes=wbuf.bytes', 'wbuf.bytes=cols*1 KiB'], /read each other \(cols -> ibuf\.bytes -> wbuf\.bytes -> cols\)/);
  refused(['rows=rows*2'], /'rows=rows\*2' reads itself/);
  refused(['cols=2*rows'], /'rows' is not varied: an expression reads only other --vary axes \(add --vary rows=\.\.\.\)/);
  refused(['rows=8', 'cols=2*rowz'], /unknown unit or axis 'rowz' \(did you mean 'rows'\?\)/);
  refused(['wbuf.bytes=64 KIB'], /unknown unit or axis 'KIB' \(did you mean 'KiB'\?\)/);
  refused(['rows=8,16', 'cols=rows,2*rows'], /is one expression, not a list/);
  refused(['rows=8,16'], /--arrays and --vary rows=\.\.\. both set rows/, [[8, 8]]);
  refused(['rows 8'], /write <field>=<values>/);
  refused(['rows='], /no values after rows=/);
  refused(['rows=8,8'], /8 is listed twice/);
  refused(['rows=8 KiB'], /rows is a plain number, not '8 KiB'/);
  refused(['wbuf.doubleBuffered=yes'], /wbuf\.doubleBuffered is true or false, not 'yes'/);
  refused(['wbuf.bytes=sqrt(64) KiB'], /calls a function \(sqrt\)/);
  refused(['wbuf.bytes=x = 1'], /assigns a value/);
});

test('a bad value is refused naming the point and the field', () => {
  refused(['rows=8,0'], /^--vary point 'vc709 rows=0': rows must be an integer in 1\.\.4096 \(got 0\)$/);
  refused(['wbuf.bytes=64 MHz'], /^--vary point 'vc709 wbuf\.bytes=64MHz': wbuf\.bytes: '64 MHz' is a frequency, expected a size such as '64 KiB'/);
  refused(['rows=16', 'cols=rows/3'], /^--vary point 'vc709 rows=16 cols=5\.33333333333333': cols must be an integer/);
  refused(['maxBits=4'], /--vary point 'vc709 maxBits=4': bitBricksPerUnit must be maxBits\^2\/4 = 4/);
});

test.run();
