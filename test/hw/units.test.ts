// Engineering units in configs: every size, rate, frequency and energy field takes text with units and arithmetic,
// read through a safe subset of mathjs expressions; plain numbers keep their meaning exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FIELDS, ConfigError, HwConfig, validateConfig } from '../../hw/config.js';
import { getPreset, loadConfig, presetNames } from '../../hw/presets.js';
import { Evaluated, UnitError, evaluate, evaluateExpression, parseExpression } from '../../hw/units.js';
import { tempDir } from '../helpers.js';

const vc709 = getPreset('vc709')!;

/** vc709 with some fields replaced ('ibuf.bytes' paths), validated. */
function withFields(set: Record<string, unknown>, base: HwConfig = vc709): HwConfig {
  const c: any = structuredClone(base);
  for (const [path, v] of Object.entries(set)) {
    const [head, tail] = path.split('.');
    if (tail === undefined) c[head] = v;
    else c[head][tail] = v;
  }
  return validateConfig(c, 'x.json');
}

const field = (path: string, v: unknown, base?: HwConfig): number => {
  const c: any = withFields({ [path]: v }, base);
  const [head, tail] = path.split('.');
  return tail === undefined ? c[head] : c[head][tail];
};

/** Asserts validateConfig refuses the value with a ConfigError whose message matches. */
function refused(path: string, v: unknown, re: RegExp): void {
  assert.throws(() => withFields({ [path]: v }), (e: Error) => e instanceof ConfigError && re.test(e.message), `${path} = ${JSON.stringify(v)}`);
}

test('sizes: bytes with decimal and binary prefixes, bits converted to bytes', () => {
  assert.is(field('wbuf.bytes', '64 KiB'), 65536);
  assert.is(field('wbuf.bytes', '2 MiB'), 2 * 1024 * 1024);
  assert.is(field('ibuf.bytes', '64 kB'), 64000);
  assert.is(field('obuf.bytes', '512 kbit'), 64000);
  assert.is(field('obuf.bytes', '1 Mibit'), 131072);
  assert.is(field('obuf.bytes', '16384'), 16384, 'a number as text is in the base unit');
  assert.is(field('accumulatorBits', '4 B'), 32);
  assert.is(field('maxBits', '8 bit'), 8);
});

test('frequencies: clockMHz in any prefix of Hz', () => {
  assert.is(field('clockMHz', '200 MHz'), 200);
  assert.is(field('clockMHz', '0.2 GHz'), 200);
  assert.is(field('clockMHz', '250e6 Hz'), 250);
  assert.is(field('clockMHz', '125000 kHz'), 125);
});

test('energies: pJ, per byte from per bit, per cycle from a power', () => {
  assert.is(field('energy.bitBrickPJ', '30 fJ'), 0.03, 'no float noise from the conversion');
  assert.is(field('energy.ibufPJPerByte', '1.2 pJ'), 1.2);
  assert.is(field('energy.dramPJPerByte', '20 pJ/bit'), 160);
  assert.is(field('energy.wbufPJPerByte', '1.5 pJ/B'), 1.5);
  // a static power is spread over the clock: 50 mW at 200 MHz is 250 pJ per cycle
  assert.is(field('energy.staticPJPerCycle', '50 mW'), 250);
  assert.is(field('energy.staticPJPerCycle', '2 pJ'), 2);
});

test('DRAM: bits per cycle, or a bandwidth divided by the clock and rounded down to whole bits', () => {
  assert.is(field('dram.bitsPerCycle', '128 bit'), 128);
  assert.is(field('dram.bitsPerCycle', '16 B'), 128);
  // one DDR3-1866 64-bit SODIMM at 200 MHz: 597.12 bits per cycle at the pins, the preset's 597
  assert.is(field('dram.bitsPerCycle', '1866 MT/s * 64 bit'), vc709.dram.bitsPerCycle);
  assert.is(field('dram.bitsPerCycle', '1866 MT/s * 64 bit * 0.7'), 417);
  assert.is(field('dram.bitsPerCycle', '1866 MT/s * 8 B'), 597);
  // exact quotients are not lost to float noise before the rounding
  assert.is(field('dram.bitsPerCycle', '1600 MT/s * 64 bit'), 512);
  assert.is(field('dram.bitsPerCycle', '2 GT/s * 32 bit'), 320);
  assert.is(field('dram.bitsPerCycle', '10 Gbit/s'), 50);
  assert.is(field('dram.bitsPerCycle', '10 Gbps'), 50);
  assert.is(field('dram.bitsPerCycle', '10 Gb/s'), 50);
  assert.is(field('dram.bitsPerCycle', '12.8 GB/s'), 512);
  // the clock the rate is divided by is the config's own, given with units or not
  const slow = withFields({ clockMHz: '100 MHz', 'dram.bitsPerCycle': '1600 MT/s * 64 bit' });
  assert.is(slow.dram.bitsPerCycle, 1024);
});

test('the units mathjs lacks or reads otherwise: transfers, Gbit, Kibit, bps', () => {
  assert.is(evaluate('1 T'), 1, 'a transfer is a count');
  assert.is(evaluate('1 MT'), 1e6, 'not a megatonne or a megatesla');
  assert.is(evaluate('3 GT'), 3e9);
  assert.is(evaluate('1866 MT/s / (1 MHz)'), 1866, 'MT/s is a rate');
  assert.is(evaluate('1 Gbit / (1 bit)'), 1e9);
  assert.is(evaluate('1 Kibit / (1 bit)'), 1024);
  assert.is(evaluate('1 Gbps / (1 Mbit/s)'), 1000);
  assert.is(evaluate('1 transfers'), 1);
});

test('the units are defined in hwq\'s own mathjs instance: mathjs\'s shared one still reads T as the tesla', () => {
  evaluate('1 MT');
  const shared = createRequire(import.meta.url)('mathjs/lib/browser/math.js');
  const tesla = shared.evaluate('1 T');
  assert.ok(tesla.equalBase(shared.unit('1 kg / (A s^2)')), `T is ${tesla.formatUnits()}`);
  assert.throws(() => shared.evaluate('1 Gbit'), /Gbit/);
});

test('arithmetic: + - * / ^ and parentheses', () => {
  assert.is(field('wbuf.bytes', '2^10 B'), 1024);
  assert.is(field('wbuf.bytes', '(32 + 32) KiB'), 65536);
  assert.is(field('wbuf.bytes', '128 KiB / 2'), 65536);
  assert.is(field('wbuf.bytes', '64 KiB - 1 KiB'), 64512);
  assert.is(field('wbuf.bytes', '-(-4) KiB'), 4096);
  assert.is(field('clockMHz', '1 / (5 ns)'), 200);
});

test('the safe subset refuses function calls, assignments, unknown symbols and other constructs', () => {
  const no = (text: string, re: RegExp) => assert.throws(() => evaluate(text), (e: Error) => e instanceof UnitError && re.test(e.message), text);
  no('sqrt(4) KiB', /^'sqrt\(4\) KiB' calls a function \(sqrt\), which a value may not: write numbers, units/);
  no('import({})', /calls a function \(import\)/);
  no('evaluate("1 B")', /calls a function \(evaluate\)/);
  no('x = 64 KiB', /assigns a value/);
  no('f(x) = x', /assigns a value/);
  no('pi * 1 B', /unknown unit 'pi'/);
  no('e B', /unknown unit 'e'/);
  no('64 KIB', /unknown unit 'KIB' \(did you mean 'KiB'\?\)/);
  no('64 MHZ', /did you mean 'MHz'\?/);
  no('wbuf.bytes * 2', /unknown unit 'wbuf\.bytes'/);
  no('[1, 2] B', /holds a list/);
  no('"64" B', /holds "64", not a number/);
  no('1 B; 2 B', /holds several statements/);
  no('5 % 3', /uses the operator '%'/);
  no('3!', /uses the operator '!'/);
  no('1 B == 1 B', /uses the operator '=='/);
  no('1 < 2 < 3', /compares values/);
  no('1 B to KiB', /uses the operator 'to'/);
  no('1 ? 2 : 3', /holds a condition/);
  no('1:3', /holds a range/);
  no('64 KiB +', /cannot be read/);
  no('64 KiB + 1 MHz', /cannot be evaluated: Units do not match/);
  no('1/0 B', /is not a finite number/);
  no('  ', /is empty/);
});

test('names are read only when given; they win over units', () => {
  const e = parseExpression('2 * rows + wbuf.bytes / (1 KiB)');
  assert.equal(e.names.sort(), ['rows', 'wbuf.bytes']);
  const vars = new Map([['rows', 8], ['wbuf.bytes', evaluate('4 KiB')]]);
  assert.is(evaluateExpression(e, vars), 20);
  // an axis named like a unit is the axis
  assert.is(evaluateExpression(parseExpression('2 * B'), new Map([['B', 3]])), 6);
  assert.throws(() => evaluateExpression(e, new Map([['rows', 8]])), /unknown unit or name 'wbuf\.bytes'/);
});

test('a wrong dimension names the field, what the value is and what the field takes', () => {
  refused('wbuf.bytes', '64 MHz', /^x\.json: wbuf\.bytes: '64 MHz' is a frequency, expected a size such as '64 KiB' or a number of bytes$/);
  refused('clockMHz', '64 KiB', /^x\.json: clockMHz: '64 KiB' is a size, expected a frequency such as '200 MHz' or a number in MHz$/);
  refused('dram.bitsPerCycle', '8 MHz', new RegExp(
    "dram\\.bitsPerCycle: '8 MHz' is a frequency, expected a size per cycle such as '128 bit', "
    + "a bandwidth such as '1866 MT/s \\* 64 bit' \\(divided by clockMHz\\), or a number of bits$"));
  refused('energy.dramPJPerByte', '20 pJ/s',
    /energy\.dramPJPerByte: '20 pJ\/s' is a power, expected an energy per byte such as '1\.2 pJ' or '20 pJ\/bit', or a number in pJ$/);
  refused('energy.bitBrickPJ', '3 W', /energy\.bitBrickPJ: '3 W' is a power, expected an energy such as '1\.5 pJ' or a number in pJ$/);
  refused('energy.staticPJPerCycle', '3 m', /energy\.staticPJPerCycle: '3 m' is a length, expected an energy per cycle .*a power such as '50 mW'/);
  refused('ibuf.bytes', '3 kg/s', /ibuf\.bytes: '3 kg\/s' is in kg \/ s, expected a size/);
  refused('clockMHz', 'sqrt(4) MHz', /^x\.json: clockMHz: 'sqrt\(4\) MHz' calls a function/);
});

test('integer fields refuse a fraction and say its value; ranges still apply after the conversion', () => {
  refused('ibuf.bytes', '1.5 B', /^x\.json: ibuf\.bytes: '1\.5 B' is 1\.5 B, expected a whole number$/);
  refused('obuf.bytes', '0.1 KiB', /'0\.1 KiB' is 102\.4 B, expected a whole number/);
  refused('dram.bitsPerCycle', '100.5 bit', /'100\.5 bit' is 100\.5 bit\/cycle, expected a whole number/);
  refused('ibuf.bytes', '0 KiB', /^x\.json: ibuf\.bytes must be a positive integer \(got '0 KiB' = 0 B\)$/);
  refused('clockMHz', '6 GHz', /clockMHz must be a number in \(0, 5000\] \(got '6 GHz' = 6000 MHz\)/);
  refused('maxBits', '12 bit', /maxBits must be 4, 8 or 16/);
  // fields that measure nothing take numbers only, as before
  refused('rows', '16', /rows must be an integer in 1\.\.4096 \(got "16"\)/);
});

test('every field with a unit is a number field, and every size, rate and energy field has one', () => {
  const withUnit = CONFIG_FIELDS.filter((f) => f.unit).map((f) => f.path);
  for (const f of CONFIG_FIELDS.filter((x) => x.unit)) assert.ok(f.type === 'integer' || f.type === 'number', f.path);
  assert.equal(withUnit, [
    'maxBits', 'clockMHz', 'ibuf.bytes', 'wbuf.bytes', 'obuf.bytes', 'dram.bitsPerCycle', 'accumulatorBits',
    'energy.bitBrickPJ', 'energy.ibufPJPerByte', 'energy.wbufPJPerByte', 'energy.obufPJPerByte', 'energy.dramPJPerByte',
    'energy.staticPJPerCycle',
  ]);
});

test('numeric configs give identical configs; vc709 written with units equals the preset', () => {
  for (const n of presetNames()) {
    const p = getPreset(n)!;
    assert.equal(validateConfig(JSON.parse(JSON.stringify(p)), n), p, n);
  }
  const dir = tempDir('hwq-units-');
  const plain = join(dir, 'plain.json');
  writeFileSync(plain, JSON.stringify({ base: 'vc709', name: 'v', rows: 16, wbuf: { bytes: 131072 }, dram: { efficiency: 0.5 } }));
  assert.equal(loadConfig(plain), { ...vc709, name: 'v', rows: 16, wbuf: { bytes: 131072, doubleBuffered: true }, dram: { ...vc709.dram, efficiency: 0.5 } });
  const units = join(dir, 'units.json');
  const given = {
    ...vc709,
    clockMHz: '200 MHz',
    ibuf: { bytes: '64 KiB', doubleBuffered: true },
    wbuf: { bytes: '256 KiB', doubleBuffered: true },
    obuf: { bytes: '16 KiB', doubleBuffered: true },
    dram: { ...vc709.dram, bitsPerCycle: '1866 MT/s * 64 bit' },
    accumulatorBits: '32 bit',
    energy: {
      bitBrickPJ: '30 fJ', ibufPJPerByte: '1.2 pJ', wbufPJPerByte: '1.5 pJ/B', obufPJPerByte: '8 pJ/KiB * 128',
      dramPJPerByte: '20 pJ/bit', staticPJPerCycle: '0 W',
    },
  };
  writeFileSync(units, JSON.stringify(given));
  assert.equal(loadConfig(units), vc709);
  // the caller's object keeps its text
  const raw = structuredClone(given);
  validateConfig(raw, 'raw');
  assert.equal(raw, given);
});

test('a value computed elsewhere (a sweep point) resolves with the config\'s clock', () => {
  const rate = new Evaluated('1600 MT/s * 64 bit', evaluate('1600 MT/s * 64 bit'));
  const c = withFields({ clockMHz: 400, 'dram.bitsPerCycle': rate });
  assert.is(c.dram.bitsPerCycle, 256);
  assert.throws(() => withFields({ 'wbuf.bytes': new Evaluated('2*clk', evaluate('2 MHz')) }), /wbuf\.bytes: '2\*clk' is a frequency/);
});

test('mathjs loads only when a value has units: configs of plain numbers start as fast as before', () => {
  const presets = fileURLToPath(new URL('../../hw/presets.js', import.meta.url));
  const script = (cfg: string) => `
    const { createRequire } = await import('node:module');
    const { loadConfig } = await import(${JSON.stringify(presets)});
    ${cfg};
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('mathjs'));
    console.log(loaded);`;
  const dir = tempDir('hwq-units-lazy-');
  const f = join(dir, 'u.json');
  writeFileSync(f, JSON.stringify({ base: 'vc709', wbuf: { bytes: '64 KiB' } }));
  const run = (cfg: string) => execFileSync(process.execPath, ['--input-type=module', '-e', script(cfg)], { encoding: 'utf8' }).trim();
  assert.is(run("loadConfig('vc709')"), 'false');
  assert.is(run(`loadConfig(${JSON.stringify(f)})`), 'true');
});

test.run();
