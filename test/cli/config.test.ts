// End-to-end tests of `hwq config show` and `hwq config list`: every field with its unit, a file's base preset and
// units resolved, the JSON form a config file can be made of, and the one-line errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hwq, userError } from './run-hwq.js';
import { CONFIG_FIELDS } from '../../hw/config.js';
import { getPreset, loadConfig, presetNames } from '../../hw/presets.js';
import { tempDir } from '../helpers.js';

const dir = tempDir('hwq-cli-config-');
const file = (name: string, body: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
};

test('config show vc709: one line per field, each unit field with its base unit and a readable form', async () => {
  const r = await hwq('config', 'show', 'vc709');
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, CONFIG_FIELDS.length, 'every field of vc709 is set, none is left out, no base line');
  assert.equal(lines.map((l) => l.split(/\s+/)[0]), CONFIG_FIELDS.map((f) => f.path));
  for (const re of [
    /^name {2,}vc709$/m,
    /^rows {2,}8$/m,
    /^clockMHz {2,}200 MHz$/m,
    /^ibuf\.bytes {2,}65536 B \(64 KiB\)$/m,
    /^wbuf\.bytes {2,}262144 B \(256 KiB\)$/m,
    /^wbuf\.doubleBuffered {2,}true$/m,
    /^dram\.bitsPerCycle {2,}597 bit\/cycle \(119\.4 Gbit\/s at 200 MHz\)$/m,
    /^dram\.efficiency {2,}0\.7$/m,
    /^accumulatorBits {2,}32 bit$/m,
    /^energy\.bitBrickPJ {2,}0\.03 pJ$/m,
    /^energy\.dramPJPerByte {2,}160 pJ\/B$/m,
    /^energy\.staticPJPerCycle {2,}0 pJ\/cycle$/m,
    /^technology {2,}xc7vx690tffg1761-2$/m,
  ]) assert.match(r.stdout, re);
  // the values start in one column
  assert.is(new Set(lines.map((l) => /^\S+\s+/.exec(l)![0].length)).size, 1);
});

test('config show of a file with units: the base preset first, the units resolved; --json is the config loadConfig reads', async () => {
  const f = file('fast.json', {
    base: 'vc709', clockMHz: '1.5 GHz', wbuf: { bytes: '1 MiB' }, dram: { bitsPerCycle: '3200 MT/s * 64 bit' }, energy: { staticPJPerCycle: '60 mW' },
  });
  const [text, json] = await Promise.all([hwq('config', 'show', f), hwq('config', 'show', f, '--json')]);
  assert.is(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^base {2,}vc709$/);
  assert.match(text.stdout, /^name {2,}fast$/m);
  assert.match(text.stdout, /^clockMHz {2,}1500 MHz \(1\.5 GHz\)$/m);
  assert.match(text.stdout, /^wbuf\.bytes {2,}1048576 B \(1 MiB\)$/m);
  // 3200e6 * 64 / 1500e6 = 136.53 bits per cycle, rounded down
  assert.match(text.stdout, /^dram\.bitsPerCycle {2,}136 bit\/cycle \(204 Gbit\/s at 1500 MHz\)$/m);
  assert.match(text.stdout, /^energy\.staticPJPerCycle {2,}40 pJ\/cycle \(60 mW at 1500 MHz\)$/m);
  assert.is(json.code, 0, json.stderr);
  const cfg = JSON.parse(json.stdout);
  assert.equal(cfg, JSON.parse(JSON.stringify(loadConfig(f))));
  assert.equal([cfg.clockMHz, cfg.wbuf.bytes, cfg.dram.bitsPerCycle, cfg.energy.staticPJPerCycle], [1500, 1048576, 136, 40]);
  // what --json prints is itself a config file giving the same config
  assert.equal(loadConfig(file('again.json', cfg)), loadConfig(f));
});

test('config show --json of a preset is the preset', async () => {
  const r = await hwq('config', 'show', 'bitfusion-asic', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), JSON.parse(JSON.stringify(getPreset('bitfusion-asic'))));
});

test('config list: every preset with its description; --json', async () => {
  const [text, json] = await Promise.all([hwq('config', 'list'), hwq('config', 'list', '--json')]);
  assert.is(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^preset\s+description$/);
  assert.is(lines.length, 2 + presetNames().length);
  for (const n of presetNames()) assert.ok(lines.some((l) => l.startsWith(`${n} `) && l.endsWith(getPreset(n)!.description)), n);
  assert.equal(JSON.parse(json.stdout), presetNames().map((name) => ({ name, description: getPreset(name)!.description })));
});

test('config errors: one line naming the bad input', async () => {
  const bad = file('bad.json', { base: 'vc709', wbuf: { bytes: '64 MHz' } });
  const cases: Array<[string[], RegExp]> = [
    [['config', 'shwo', 'vc709'], /unknown config action 'shwo': valid choices are show, list/],
    [['config', 'show'], /config show needs a config: write 'hwq config show <bitfusion-asic\|bitfusion-8x8\|vc709\|file\.json>'/],
    [['config', 'list', 'vc709'], /config list takes no config \(got 'vc709'\)/],
    [['config', 'show', 'vc790'], /unknown config 'vc790': valid presets are/],
    [['config', 'show', bad], /wbuf\.bytes: '64 MHz' is a frequency, expected a size such as '64 KiB' or a number of bytes$/],
  ];
  for (const [args, re] of cases) assert.match(userError(await hwq(...args), args.join(' ')), re);
});

test.run();
