import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, dramBitsPerCycle, supportedWidths, tileCapacity, validateConfig } from '../../hw/config.js';
import { getPreset, loadConfig, presetNames } from '../../hw/presets.js';
import { tempDir } from '../helpers.js';

test('presets: the three named designs with their published numbers', () => {
  assert.equal(presetNames(), ['bitfusion-asic', 'bitfusion-8x8', 'vc709']);
  const asic = getPreset('bitfusion-asic')!;
  assert.equal([asic.rows, asic.cols, asic.clockMHz, asic.ibuf.bytes, asic.wbuf.bytes, asic.obuf.bytes, asic.dram.bitsPerCycle], [16, 32, 500, 32768, 65536, 16384, 192]);
  const b8 = getPreset('bitfusion-8x8')!;
  assert.equal([b8.rows, b8.cols, b8.clockMHz, b8.ibuf.bytes, b8.wbuf.bytes, b8.obuf.bytes, b8.dram.bitsPerCycle], [8, 8, 500, 65536, 262144, 16384, 128]);
  const v = getPreset('vc709')!;
  assert.equal([v.rows, v.cols, v.clockMHz, v.ibuf.doubleBuffered, v.wbuf.doubleBuffered, v.obuf.doubleBuffered], [8, 8, 200, true, true, true]);
  // one DDR3-1866 x64 SODIMM at 200 MHz: 1866e6 * 64 / 200e6 = 597 bits per cycle at the pins
  assert.is(v.dram.bitsPerCycle, Math.floor((1866e6 * 64) / 200e6));
  assert.ok(Math.abs(dramBitsPerCycle(v) - 597 * 0.7) < 1e-9);
  for (const n of presetNames()) assert.equal(validateConfig(getPreset(n), n), getPreset(n));
});

test('presets are copies: changing one does not change the next', () => {
  getPreset('vc709')!.rows = 99;
  assert.is(getPreset('vc709')!.rows, 8);
});

test('validation names the bad field and the valid range', () => {
  const base = getPreset('bitfusion-8x8')!;
  const bad = (over: object, re: RegExp) => assert.throws(() => validateConfig({ ...base, ...over }, 'my.json'), (e: Error) => e instanceof ConfigError && re.test(e.message));
  bad({ rows: 0 }, /^my\.json: rows must be an integer in 1\.\.4096 \(got 0\)/);
  bad({ cols: 2.5 }, /cols must be an integer/);
  bad({ maxBits: 6 }, /maxBits must be 4, 8 or 16/);
  bad({ bitBricksPerUnit: 8 }, /bitBricksPerUnit must be maxBits\^2\/4 = 16/);
  bad({ clockMHz: -1 }, /clockMHz/);
  bad({ ibuf: { bytes: 0, doubleBuffered: true } }, /ibuf\.bytes must be a positive integer/);
  bad({ wbuf: { bytes: 1024 } }, /wbuf\.doubleBuffered must be true or false/);
  bad({ dram: { bitsPerCycle: 64, efficiency: 1.5 } }, /dram\.efficiency must be in \(0, 1\]/);
  bad({ energy: { ...base.energy, dramPJPerByte: -1 } }, /energy\.dramPJPerByte must be a number >= 0/);
  assert.throws(() => validateConfig([], 'x.json'), /config must be a JSON object/);
});

test('loadConfig: presets, files with a base preset, and clear errors', () => {
  const dir = tempDir('hwq-cfg-');
  const f = join(dir, 'big.json');
  writeFileSync(f, JSON.stringify({ base: 'vc709', name: 'vc709-16x16', rows: 16, cols: 16, dram: { efficiency: 0.5 } }));
  const c = loadConfig(f);
  assert.equal([c.name, c.rows, c.cols, c.clockMHz, c.dram.bitsPerCycle, c.dram.efficiency], ['vc709-16x16', 16, 16, 200, 597, 0.5]);
  assert.throws(() => loadConfig('nope'), /unknown config 'nope': valid presets are bitfusion-asic, bitfusion-8x8, vc709/);
  assert.throws(() => loadConfig(join(dir, 'missing.json')), /cannot read config file .*ENOENT/);
  writeFileSync(join(dir, 'bad.json'), '{rows: 8');
  assert.throws(() => loadConfig(join(dir, 'bad.json')), /is not valid JSON/);
  writeFileSync(join(dir, 'base.json'), JSON.stringify({ base: 'tpu' }));
  assert.throws(() => loadConfig(join(dir, 'base.json')), /base 'tpu' is not a preset/);
});

test('supported widths and tile capacity', () => {
  assert.equal(supportedWidths({ maxBits: 8 }), [2, 4, 8]);
  assert.is(tileCapacity({ bytes: 1000, doubleBuffered: true }), 500);
  assert.is(tileCapacity({ bytes: 1000, doubleBuffered: false }), 1000);
});

test.run();
