// Every config field is honored or refused: each one is changed to other valid values and the cycle model, the
// published reference model and the RTL parameters must each give a different result or refuse the design; the
// readers a field's schema entry does not name must give the same result (so the schema cannot claim more than
// the code does), or refuse it when the field has a default (a board's timing: running the design would
// silently drop it). Misspelled fields are refused with the nearest valid name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FIELDS, ConfigError, ConfigReader, HwConfig, validateConfig } from '../../hw/config.js';
import { getPreset, loadConfig } from '../../hw/presets.js';
import { simulateNetwork } from '../../sim/simulate.js';
import { simulateRef } from '../../sim/ref/bitfusion-ref.js';
import { rtlParams } from '../../rtl/params.js';
import { getNetwork } from '../../src/model/zoo.js';
import { UserError } from '../../src/errors.js';

const net = getNetwork('resnet18');
const a4w4 = () => ({ a: 4, w: 4 });

const READERS: Record<ConfigReader, (cfg: HwConfig) => unknown> = {
  cycle: (cfg) => simulateNetwork(net, cfg, { batch: 1, precisionOf: a4w4, precisionLabel: 'a4w4' }),
  ref: (cfg) => simulateRef(net, cfg, { batch: 1, precisionOf: a4w4 }),
  rtl: (cfg) => rtlParams(cfg),
};

/** The result as text, or 'refused: ...' when the reader rejects the design with a user-facing error. */
function outcome(reader: ConfigReader, cfg: HwConfig): string {
  try {
    return JSON.stringify(READERS[reader](cfg));
  } catch (e) {
    if (e instanceof UserError || e instanceof ConfigError) return `refused: ${e.message}`;
    throw e;
  }
}

/** Other valid values of each field (paths set together where the schema couples them). */
const VARIANTS: Record<string, Array<Record<string, unknown>>> = {
  name: [{ name: 'other-name' }],
  description: [{ description: 'a different description' }],
  rows: [{ rows: 16 }, { rows: 4 }],
  cols: [{ cols: 16 }, { cols: 4 }],
  bitBricksPerUnit: [{ maxBits: 4, bitBricksPerUnit: 4 }, { maxBits: 16, bitBricksPerUnit: 64 }],
  maxBits: [{ maxBits: 4, bitBricksPerUnit: 4 }, { maxBits: 16, bitBricksPerUnit: 64 }],
  clockMHz: [{ clockMHz: 250 }],
  'ibuf.bytes': [{ 'ibuf.bytes': 16 * 1024 }],
  'ibuf.doubleBuffered': [{ 'ibuf.doubleBuffered': false }],
  'wbuf.bytes': [{ 'wbuf.bytes': 4096 }],
  'wbuf.doubleBuffered': [{ 'wbuf.doubleBuffered': false }],
  'obuf.bytes': [{ 'obuf.bytes': 2 * 1024 }],
  'obuf.doubleBuffered': [{ 'obuf.doubleBuffered': false }],
  'dram.bitsPerCycle': [{ 'dram.bitsPerCycle': 32 }],
  'dram.efficiency': [{ 'dram.efficiency': 0.5 }],
  'dram.note': [{ 'dram.note': 'another note' }],
  accumulatorBits: [{ accumulatorBits: 16 }, { accumulatorBits: 24 }, { accumulatorBits: 48 }],
  'energy.bitBrickPJ': [{ 'energy.bitBrickPJ': 0.06 }],
  'energy.ibufPJPerByte': [{ 'energy.ibufPJPerByte': 2 }],
  'energy.wbufPJPerByte': [{ 'energy.wbufPJPerByte': 2 }],
  'energy.obufPJPerByte': [{ 'energy.obufPJPerByte': 2 }],
  'energy.dramPJPerByte': [{ 'energy.dramPJPerByte': 100 }],
  'energy.staticPJPerCycle': [{ 'energy.staticPJPerCycle': 1 }],
  technology: [{ technology: '28 nm' }],
  'board.computeEfficiency': [{ 'board.computeEfficiency': 0.7 }],
  'board.layerOverheadCycles': [{ 'board.layerOverheadCycles': 1000 }],
  'board.tileOverheadCycles': [{ 'board.tileOverheadCycles': 20 }],
  'board.dramLatencyCycles': [{ 'board.dramLatencyCycles': 200 }],
};

function withValues(base: HwConfig, set: Record<string, unknown>): HwConfig {
  const c: any = structuredClone(base);
  for (const [path, v] of Object.entries(set)) {
    const [head, tail] = path.split('.');
    if (tail === undefined) c[head] = v;
    else c[head] = { ...c[head], [tail]: v };
  }
  return validateConfig(c, 'variant');
}

test('the walk covers every field of the schema', () => {
  assert.equal(Object.keys(VARIANTS).sort(), CONFIG_FIELDS.map((f) => f.path).sort());
});

test('every field moves or is refused by each model that reads it, and leaves the others alone', () => {
  const base = getPreset('bitfusion-8x8')!;
  const readers = Object.keys(READERS) as ConfigReader[];
  const before = Object.fromEntries(readers.map((r) => [r, outcome(r, base)]));
  for (const r of readers) assert.not.ok(before[r].startsWith('refused'), `${r} runs the base design: ${before[r]}`);
  for (const f of CONFIG_FIELDS) {
    for (const set of VARIANTS[f.path]) {
      const cfg = withValues(base, set);
      for (const r of readers) {
        const after = outcome(r, cfg);
        const what = `${JSON.stringify(set)} in the ${r} model`;
        if (f.readBy.includes(r)) assert.ok(after !== before[r], `${what}: same result as before (ignored)`);
        else if (f.default !== undefined) assert.ok(after.startsWith('refused'), `${what}: ${r} does not read ${f.path} but ran it`);
        else assert.is(after, before[r], `${what}: the schema says ${r} does not read ${f.path}, but the result moved`);
      }
    }
  }
});

test('a board group at its defaults runs every model exactly as without it', () => {
  const base = getPreset('bitfusion-8x8')!;
  const withBoard = validateConfig({ ...base, board: {} }, 'defaults');
  assert.equal(withBoard.board, { computeEfficiency: 1, layerOverheadCycles: 0, tileOverheadCycles: 0, dramLatencyCycles: 0 });
  for (const r of Object.keys(READERS) as ConfigReader[]) {
    const strip = (text: string) => text.replace(/,"overheadCycles":0/g, '');
    assert.is(strip(outcome(r, withBoard)), outcome(r, base), r);
  }
  // the cycle model reports the (zero) overheads once the group is given
  const layers = simulateNetwork(net, withBoard, { batch: 1, precisionOf: a4w4, precisionLabel: 'a4w4' }).layers;
  assert.ok(layers.every((l) => l.overheadCycles === 0));
});

test('only free text is read by no model', () => {
  const unread = CONFIG_FIELDS.filter((f) => f.readBy.length === 0);
  assert.equal(unread.map((f) => f.path), ['description', 'dram.note', 'technology']);
  for (const f of unread) assert.ok(f.text && f.type === 'string', f.path);
});

test('the Fusion Unit width sets the products per cycle: 4-bit units are 4x slower, 16-bit 4x faster on a4w4 compute', () => {
  const base = getPreset('bitfusion-8x8')!;
  const compute = (set: Record<string, unknown>) => simulateNetwork(net, withValues(base, set), { batch: 1, precisionOf: a4w4, precisionLabel: 'a4w4' }).computeCycles;
  const c8 = compute({});
  // 4-bit units sum one 4x4 product per cycle against the 8-bit unit's four, 16-bit units sixteen
  assert.ok(compute({ maxBits: 4, bitBricksPerUnit: 4 }) > 3.5 * c8);
  assert.ok(compute({ maxBits: 16, bitBricksPerUnit: 64 }) < c8 / 2.5);
  const four = withValues(base, { maxBits: 4, bitBricksPerUnit: 4 });
  const a8w8 = () => ({ a: 8, w: 8 });
  assert.throws(() => simulateNetwork(net, four, { batch: 1, precisionOf: a8w8, precisionLabel: 'a8w8' }), /a8w8 needs 8-bit operands; bitfusion-8x8 has 4-bit Fusion Units/);
  assert.throws(() => simulateRef(net, four, { batch: 1, precisionOf: a8w8 }), /activation precision 8 is not supported by config 'bitfusion-8x8' \(valid: integers 1\.\.4\)/);
});

test('16-bit units run 16-bit operands one pair a cycle, as 8-bit units run 8-bit ones', () => {
  const base = getPreset('bitfusion-8x8')!;
  const at = (cfg: HwConfig, bits: number) => simulateNetwork(net, cfg, { batch: 1, precisionOf: () => ({ a: bits, w: bits }), precisionLabel: '' });
  const wide = at(withValues(base, { maxBits: 16, bitBricksPerUnit: 64 }), 16);
  // the same words stream through the array; only the tiling differs (16-bit operands fill the buffers twice as fast)
  const narrow = at(base, 8).computeCycles;
  assert.ok(Math.abs(wide.computeCycles / narrow - 1) < 0.01, `${wide.computeCycles} vs ${narrow}`);
  assert.equal(wide.layers[0].hwPrecision, { a: 16, w: 16 });
  assert.throws(() => at(base, 16), /a16w16 needs 16-bit operands; bitfusion-8x8 has 8-bit Fusion Units/);
});

test('wider partial sums cost partial-sum traffic and OBUF room in the cycle model', () => {
  const base = getPreset('bitfusion-8x8')!;
  const spills = (acc: number) => {
    const r = simulateNetwork(net, withValues(base, { accumulatorBits: acc, 'obuf.bytes': 4096 }), { batch: 1, precisionOf: a4w4, precisionLabel: 'a4w4' });
    return r.layers.reduce((s, l) => s + l.dram.outputRead, 0);
  };
  // every spilled partial sum is read back once at the accumulator width
  const [s16, s32] = [spills(16), spills(32)];
  assert.ok(s16 > 0 && s32 > 0);
  assert.ok(s16 !== s32);
});

test('a single-buffered buffer loses the overlap of loads with compute', () => {
  const base = getPreset('bitfusion-8x8')!;
  const run = (set: Record<string, unknown>) => simulateNetwork(net, withValues(base, set), { batch: 1, precisionOf: a4w4, precisionLabel: 'a4w4' });
  for (const b of ['ibuf', 'wbuf', 'obuf'] as const) {
    // the same room per tile, once as a half of a double buffer and once as a whole single buffer
    const double = run({});
    const single = run({ [`${b}.doubleBuffered`]: false, [`${b}.bytes`]: base[b].bytes / 2 });
    assert.ok(single.totalCycles > double.totalCycles, `${b}: ${single.totalCycles} cycles single-buffered vs ${double.totalCycles}`);
  }
});

test('misspelled fields are refused with the nearest valid name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-cfg-fields-'));
  try {
    const refuse = (body: object, re: RegExp) => {
      const f = join(dir, 'x.json');
      writeFileSync(f, JSON.stringify({ base: 'vc709', ...body }));
      assert.throws(() => loadConfig(f), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(body));
    };
    refuse({ rowz: 16 }, /^unknown field 'rowz' in .*x\.json \(did you mean 'rows'\?\)$/);
    refuse({ clockMhz: 100 }, /unknown field 'clockMhz' .*did you mean 'clockMHz'\?/);
    refuse({ doubleBufferd: false }, /unknown field 'doubleBufferd' .*did you mean 'ibuf\.doubleBuffered', 'wbuf\.doubleBuffered' or 'obuf\.doubleBuffered'\?/);
    refuse({ ibuf: { bytez: 1024 } }, /unknown field 'ibuf\.bytez' .*did you mean 'ibuf\.bytes'\?/);
    refuse({ energy: { dramPJperByte: 3 } }, /did you mean 'energy\.dramPJPerByte'\?/);
    refuse({ frobnicate: 1 }, /unknown field 'frobnicate' .*\(valid fields: name, description, rows, cols,/);
    refuse({ description: 5 }, /description must be a string \(got 5\)/);
    refuse({ maxBits: 4 }, /bitBricksPerUnit must be maxBits\^2\/4 = 4 \(the quad tree of a 4-bit unit\) \(got 16\)/);
    refuse({ maxBits: 32, bitBricksPerUnit: 256 }, /maxBits must be 4, 8 or 16/);
    refuse({ board: { tileOverhead: 3 } }, /unknown field 'board\.tileOverhead' .*did you mean 'board\.tileOverheadCycles'\?/);
    refuse({ board: { computeEfficiency: 0 } }, /board\.computeEfficiency must be in \(0, 1\] \(got 0\)/);
    refuse({ board: { dramLatencyCycles: -1 } }, /board\.dramLatencyCycles must be a number of cycles in 0\.\.1e9 \(got -1\)/);
    refuse({ board: 5 }, /board must be an object \{computeEfficiency/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
