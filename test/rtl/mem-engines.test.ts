// The network program's memory engines: mem_loader and mem_storer under Verilator against their cycle model
// (every request, W beat, local read and write, accept and done in the model's cycle) and against the program
// executor (the buffers each loader command leaves, the memory the storer's commands leave, as executeInstr has
// them), on the commands of the compiled tiny residual network plus hand-made ones for the paths it does not
// take: channel slices, bank strides d > 1, padding, 4 KiB boundaries, bursts over 256 beats, refused commands.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPreset } from '../../hw/presets.js';
import { DramTiming, dramBytesPerCycle } from '../../rtl/axi-model.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { packValues } from '../../rtl/descriptor.js';
import { generateRtl, sourcesOf } from '../../rtl/generate.js';
import { OPCODES, decodeProgram, encodeProgram, instrLayout } from '../../rtl/isa.js';
import { EngineCommand, EngineTrace, LOADER_OPS, MemEngineParams, SETUP_CYCLES, STORER_OPS, fieldsBits, memEngineParams } from '../../rtl/mem-engine-model.js';
import { engineCommandCycles, simulateLoader, simulateStorer } from '../../rtl/mem-engine-sim.js';
import { EngineBenchRun, EngineBenchSetup, queuedEngineCommands, runEngineBench } from '../../rtl/mem-engine-bench.js';
import { memLoaderModule } from '../../rtl/modules/mem-loader.js';
import { memStorerModule } from '../../rtl/modules/mem-storer.js';
import { axiPorts } from '../../rtl/modules/axi-ports.js';
import { CoreState, coreState, executeInstr } from '../../rtl/net-exec.js';
import type { NetInstr } from '../../rtl/net-program.js';
import { compileNetwork } from '../../rtl/net-program.js';
import { RtlParams, rtlParams } from '../../rtl/params.js';
import { lintVerilator } from '../../rtl/sim.js';
import { prng } from '../../rtl/verify.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { quantizeTiny } from '../intmodel/tiny-resnet.js';
import { withVerilator } from '../helpers.js';

const PROV = { configName: 'test' };
const MEM_WORDS = 8192;

/** A command from an op's field values, as encodeProgram packs them. */
function command(op: NetInstr['op'], values: Record<string, number>): EngineCommand {
  return { op: OPCODES[op], fields: packValues(instrLayout(op, rtlParams(vc709Sized(4, 2))), values, op) };
}

function commandOf(ins: NetInstr): EngineCommand {
  const words = encodeProgram([ins]);
  let fields = 0n;
  for (let i = words.length - 1; i >= 1; i--) fields = (fields << 32n) | BigInt(words[i]);
  return { op: words[0] & 0xff, fields };
}

/** The instruction a command carries, as the executor takes it (decodeProgram of its words); null when the op is not one. */
function instrOf(c: EngineCommand): NetInstr | null {
  const op = (Object.keys(OPCODES) as Array<NetInstr['op']>).find((k) => OPCODES[k] === c.op);
  if (!op) return null;
  const l = instrLayout(op);
  const n = l.length ? Math.ceil((l[l.length - 1].lsb + l[l.length - 1].bits) / 32) : 0;
  const words = [c.op | (n << 8), ...Array.from({ length: n }, (_, i) => Number((c.fields >> BigInt(32 * i)) & 0xffffffffn))];
  return decodeProgram(Uint32Array.from(words))[0];
}

interface Case {
  p: RtlParams;
  loads: EngineCommand[];
  stores: EngineCommand[];
  /** Commands the engines refuse (loader, storer). */
  refusedLoads: EngineCommand[];
  refusedStores: EngineCommand[];
  image: Uint32Array;
}

let cached: Case | undefined;

/** The tiny network's engine commands on a 4x2 array, and hand-made ones beyond the program's image. */
async function commands(): Promise<Case> {
  if (cached) return cached;
  const { hwq } = await quantizeTiny(4);
  const cfg = vc709Sized(4, 2);
  const p = rtlParams(cfg);
  const prog = compileNetwork(loadHwq(hwq), cfg, p, hwq);
  const loads = prog.instrs.filter((i) => LOADER_OPS.includes(i.op)).map(commandOf);
  const stores = prog.instrs.filter((i) => STORER_OPS.includes(i.op)).map(commandOf);
  assert.ok(prog.image.length < 1024, 'the hand-made commands use memory past the program');
  const li = (v: Record<string, number>) => command('load-input', {
    src: 1500, in_h: 6, in_w: 5, gm: 3, act_bits: 8, g0: 1, oy0: 1, ox0: 0, stride_y: 1, stride_x: 1, pad_top: 2, pad_left: 1, th: 4, tw: 7, row_skip: 0, gs: 2, d: 2,
    half: 1, pad: 0x5a5a5a5a, ...v,
  });
  loads.push(
    command('weights', { addr: 2043, words: 3000, word_bits: 4, half: 1 }),
    command('weights', { addr: 3001, words: 700, word_bits: 32, half: 0 }),
    li({}),
    li({ src: 1700, gm: 4, act_bits: 16, g0: 3, gs: 4, d: 4, stride_y: 2, stride_x: 2, oy0: 0, ox0: 1, pad_top: 1, pad_left: 1, th: 5, tw: 5, half: 0 }),
    li({ src: 1020, gm: 2, act_bits: 32, g0: 0, gs: 2, d: 2, th: 5, tw: 6, pad_left: 0, ox0: 0 }),
    li({ row_skip: 3, th: 3, tw: 4 }),
    command('residual', { src: 1800, src_w: 6, g: 3, stride_y: 2, stride_x: 2, oy0: 1, ox0: 1, rows: 2, cols: 3, word_lo: 1, words: 2 }),
    command('residual', { src: 2040, src_w: 5, g: 2, stride_y: 1, stride_x: 1, oy0: 0, ox0: 1, rows: 3, cols: 4, word_lo: 0, words: 2 }),
    command('tables', { addr: 5000, channels: 40 }),
  );
  stores.push(
    command('store', { dst: 2000, dst_w: 7, g: 3, oy0: 1, ox0: 2, rows: 3, cols: 4, word_lo: 1, words: 2 }),
    command('store', { dst: 3060, dst_w: 6, g: 2, oy0: 0, ox0: 0, rows: 5, cols: 6, word_lo: 0, words: 2 }),
    command('store-acc', { addr: 4090, half: 1, m: 9, n: 5, stride: 7 }),
    command('store-acc', { addr: 5100, half: 0, m: 70, n: 8, stride: 8 }),
  );
  const tile = command('tile', Object.fromEntries(instrLayout('tile', rtlParams(vc709Sized(4, 2))).map((f) => [f.name, 0])));
  const refusedLoads = [tile, li({ d: 3 }), command('weights', { addr: 0, words: 4, word_bits: 3, half: 0 })];
  const refusedStores = [command('weights', { addr: 0, words: 4, word_bits: 8, half: 0 })];
  cached = { p, loads, stores, refusedLoads, refusedStores, image: prog.image };
  return cached;
}

function randomMemory(image: Uint32Array, seed: number): Uint32Array {
  const r = prng(seed);
  const m = Uint32Array.from({ length: MEM_WORDS }, () => Math.floor(r() * 2 ** 32) >>> 0);
  m.set(image);
  return m;
}

/** The first entry where two event lists part, with its neighbours, as one line (a whole-list diff is unreadable). */
function firstDiff(got: unknown[], want: unknown[]): string | null {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (JSON.stringify(got[i]) !== JSON.stringify(want[i])) {
      return `entry ${i} of ${got.length}/${want.length}: rtl ${JSON.stringify(got.slice(Math.max(0, i - 1), i + 2))} model ${JSON.stringify(want.slice(Math.max(0, i - 1), i + 2))}`;
    }
  }
  return null;
}

function compareTraces(got: EngineTrace, want: EngineTrace): void {
  const diffs = (['accepted', 'done', 'err', 'req', 'w', 'reads', 'writes'] as const).map((k) => [k, firstDiff(got[k], want[k])]).filter(([, d]) => d !== null);
  assert.equal(diffs, [], `the RTL's events part from the model's: ${diffs.map(([k, d]) => `${k}: ${d}`).join('; ')}`);
}

/** The loader's writes between each accept and done, applied to the buffers, against executeInstr on the same state. */
function checkLoads(p: RtlParams, memory: Uint32Array, cmds: EngineCommand[], t: EngineTrace): number {
  const ref = coreState(p, memory.slice());
  const got = coreState(p, memory.slice());
  let resbuf = new Uint32Array(2 ** p.output.resAddrBits);
  let checked = 0;
  cmds.forEach((c, i) => {
    const ins = instrOf(c)!;
    executeInstr(ref, ins, p);
    for (const w of t.writes.filter((x) => x.cycle > t.accepted[i] && x.cycle <= t.done[i])) {
      if (w.port === 'ib') for (let r = 0; r < p.rows; r++) { if ((w.sel >>> r) & 1) got.ibuf[r][w.addr] = w.data; }
      if (w.port === 'wb') got.wbuf[w.sel][w.addr] = w.data;
      if (w.port === 'pt') [got.bias, got.m0, got.shift][w.sel][w.addr] = w.data | 0;
      if (w.port === 'rb') resbuf[w.addr] = w.data;
    }
    const what = `command ${i} (${ins.op})`;
    ref.ibuf.forEach((b, r) => assert.equal(Array.from(got.ibuf[r]), Array.from(b), `${what}: IBUF bank ${r}`));
    ref.wbuf.forEach((b, r) => assert.equal(Array.from(got.wbuf[r]), Array.from(b), `${what}: WBUF bank ${r}`));
    assert.equal([Array.from(got.bias), Array.from(got.m0), Array.from(got.shift)], [Array.from(ref.bias), Array.from(ref.m0), Array.from(ref.shift)], `${what}: tables`);
    if (ins.op === 'residual') {
      assert.equal(Array.from(resbuf.subarray(0, ref.resbuf.length)), Array.from(ref.resbuf), `${what}: residual buffer`);
      resbuf = new Uint32Array(resbuf.length);
    }
    checked++;
  });
  return checked;
}

/** Every request is an AXI4 INCR burst (<= 256 beats, inside one 4 KiB page); with `splits`, some were split at a page. */
function checkBursts(t: EngineTrace, dataBits: number, splits: boolean): void {
  const beat = dataBits / 8;
  for (const r of t.req) {
    assert.ok(r.beats >= 1 && r.beats <= 256, `${r.beats} beats`);
    assert.is(Math.floor(r.addr / 4096), Math.floor((r.addr + r.beats * beat - 1) / 4096), `burst at 0x${r.addr.toString(16)} crosses 4 KiB`);
  }
  if (splits) assert.ok(t.req.some((r) => (r.addr + r.beats * beat) % 4096 === 0 && r.beats < 256), 'a burst ends at a 4 KiB boundary');
}

interface Scenario {
  name: string;
  e: MemEngineParams;
  dram: DramTiming;
}

function setupOf(s: Scenario): EngineBenchSetup {
  return { e: s.e, dram: s.dram, dramBeats: MEM_WORDS / (s.e.dataBits / 32) };
}

/** Commands queued in consecutive cycles (back to back), or each after the previous one's modelled cycles and a gap. */
function schedule(which: 'loader' | 'storer', s: Scenario, cmds: EngineCommand[], memory: Uint32Array, spaced: boolean): EngineBenchRun['commands'] {
  let at = 0;
  return cmds.map((c, i) => {
    const push = spaced ? at : i;
    at += engineCommandCycles(which, s.e, s.dram, c, memory) + 60;
    return { push, ...c };
  });
}

/** The engine commands of a run: the accepted ones and the ones it must refuse. */
interface CommandSet {
  p: RtlParams;
  image: Uint32Array;
  cmds: EngineCommand[];
  refused: Set<EngineCommand>;
  /** The set is made to split bursts at 4 KiB and at 256 beats: check that it did. */
  splits?: boolean;
}

const loaderSet = (cs: Case): CommandSet => ({
  p: cs.p, image: cs.image, refused: new Set(cs.refusedLoads), splits: true,
  cmds: [...cs.loads.slice(0, 3), cs.refusedLoads[0], ...cs.loads.slice(3), ...cs.refusedLoads.slice(1)],
});
const storerSet = (cs: Case): CommandSet => ({
  p: cs.p, image: cs.image, refused: new Set(cs.refusedStores), splits: true, cmds: [...cs.stores.slice(0, 2), cs.refusedStores[0], ...cs.stores.slice(2)],
});

function runLoader(s: Scenario, set: CommandSet, spaced: boolean): void {
  const memory = randomMemory(set.image, 11);
  const { cmds, refused } = set;
  const scheduled = schedule('loader', s, cmds, memory, spaced);
  const total = scheduled.reduce((a, c) => a + engineCommandCycles('loader', s.e, s.dram, c, memory), 0);
  const run: EngineBenchRun = { which: 'loader', memory, commands: scheduled, runCycles: scheduled[scheduled.length - 1].push + total + 200, readBack: false };
  const got = runEngineBench(setupOf(s), run, PROV);
  const want = simulateLoader({ e: s.e, dram: s.dram, commands: queuedEngineCommands(run, got.firstPush), memory: memory.slice(), cycles: got.firstPush + run.runCycles });
  assert.is(want.done.length, cmds.length, 'the model finished every command');
  compareTraces(got.trace, want);
  checkBursts(got.trace, s.e.dataBits, set.splits === true);
  if (s.e.dataBits === 32 && set.splits) assert.ok(got.trace.req.some((r) => r.beats === 256), 'a 256-beat burst');
  cmds.forEach((c, i) => {
    assert.is(got.trace.err[i], refused.has(c), `command ${i}: err`);
    if (refused.has(c)) assert.is(got.trace.done[i] - got.trace.accepted[i], 1, `refused command ${i} is done the next cycle`);
    else if (spaced) assert.is(got.trace.done[i] - got.trace.accepted[i], engineCommandCycles('loader', s.e, s.dram, c, memory), `command ${i}: cycles`);
  });
  const kept = cmds.map((c, i) => ({ c, i })).filter(({ c }) => !refused.has(c));
  const sub: EngineTrace = { ...got.trace, accepted: kept.map(({ i }) => got.trace.accepted[i]), done: kept.map(({ i }) => got.trace.done[i]) };
  assert.is(checkLoads(set.p, memory, kept.map(({ c }) => c), sub), cmds.length - refused.size);
}

function runStorer(scenario: Scenario, set: CommandSet, spaced: boolean): void {
  // The DRAM model holds QDEPTH write responses and cannot refuse a burst for want of room: give it as many as can be in flight.
  const s = { ...scenario, dram: { ...scenario.dram, queueDepth: Math.max(scenario.dram.queueDepth, scenario.e.maxOutstanding) } };
  const r = prng(7);
  const memory = randomMemory(set.image, 13);
  const staging = Uint32Array.from({ length: 4096 }, () => Math.floor(r() * 2 ** 32) >>> 0);
  const obuf = Array.from({ length: set.p.cols }, () => Int32Array.from({ length: set.p.obuf.depth }, () => Math.floor(r() * 2 ** 32) | 0));
  const { cmds } = set;
  const scheduled = schedule('storer', s, cmds, memory, spaced);
  const total = scheduled.reduce((a, c) => a + engineCommandCycles('storer', s.e, s.dram, c, memory), 0);
  const run: EngineBenchRun = { which: 'storer', memory, staging, obuf, commands: scheduled, runCycles: scheduled[scheduled.length - 1].push + total + 200, readBack: true };
  const got = runEngineBench(setupOf(s), run, PROV);
  const modelMemory = memory.slice();
  const want = simulateStorer({
    e: s.e, dram: s.dram, commands: queuedEngineCommands(run, got.firstPush), memory: modelMemory, staging, obuf, cycles: got.firstPush + run.runCycles,
  });
  assert.is(want.done.length, cmds.length, 'the model finished every command');
  compareTraces(got.trace, want);
  checkBursts(got.trace, s.e.dataBits, set.splits === true);
  const ref: CoreState = coreState(set.p, memory.slice());
  ref.staging = staging.slice();
  ref.obuf = obuf.map((b) => b.slice());
  cmds.forEach((c, i) => {
    const refused = set.refused.has(c);
    assert.is(got.trace.err[i], refused, `command ${i}: err`);
    if (!refused) executeInstr(ref, instrOf(c)!, set.p);
    else assert.is(got.trace.done[i] - got.trace.accepted[i], 1, 'the refused command is done the next cycle');
    if (spaced && !refused) assert.is(got.trace.done[i] - got.trace.accepted[i], engineCommandCycles('storer', s.e, s.dram, c, memory), `command ${i}: cycles`);
  });
  const diff = Array.from(got.memory).findIndex((v, i) => v !== ref.memory[i]);
  assert.is(diff, -1, `memory word ${diff}: ${got.memory[diff]} against the executor's ${ref.memory[diff]}`);
  assert.equal(Array.from(modelMemory), Array.from(ref.memory), 'the model leaves the executor\'s memory');
  assert.ok(Array.from(ref.memory).some((v, i) => v !== memory[i]), 'the stores changed the memory');
}

const vc = getPreset('vc709')!;
const SCENARIOS = async (): Promise<Scenario[]> => {
  const p = (await commands()).p;
  return [
    { name: '64-bit, latency 24, memory faster than the port', e: memEngineParams(p, 64), dram: { latency: 24, bytesPerCycle: dramBytesPerCycle(vc), queueDepth: 8 } },
    { name: '32-bit, latency 5, 3 bytes a cycle, a 2-deep address queue', e: { ...memEngineParams(p, 32), maxOutstanding: 3 }, dram: { latency: 5, bytesPerCycle: 3, queueDepth: 2 } },
    { name: '128-bit, latency 2, 7 bytes a cycle', e: { ...memEngineParams(p, 128), maxOutstanding: 2, fifoDepth: 2 }, dram: { latency: 2, bytesPerCycle: 7, queueDepth: 4 } },
  ];
};

test('ports: the loader has the read channels only, the storer the write channels; cmd_fields holds the widest payload', async () => {
  const { p } = await commands();
  const e = memEngineParams(p);
  const l = memLoaderModule(e, PROV);
  const s = memStorerModule(e, PROV);
  const names = (ports: Array<{ name: string }>) => ports.map((q) => q.name).filter((n) => n.startsWith('m_axi_'));
  const all = axiPorts('master', 32, 64).map((q) => q.name);
  assert.equal([...names(l.ports), ...names(s.ports)].sort(), [...all].sort());
  assert.ok(names(l.ports).every((n) => /^m_axi_(ar|r)/.test(n)));
  assert.is(l.ports.find((q) => q.name === 'cmd_fields')!.width, fieldsBits(LOADER_OPS));
  assert.is(fieldsBits(LOADER_OPS), 288);
  assert.is(fieldsBits(STORER_OPS), 160);
  // the field offsets are the instruction set's
  for (const f of instrLayout('load-input')) assert.match(l.text, new RegExp(`LI_${f.name.toUpperCase()}_LSB\\s+= ${f.lsb},`));
  const design = generateRtl(vc);
  assert.ok(design.modules.some((m) => m.name === 'mem_loader') && design.modules.some((m) => m.name === 'mem_storer'));
});

test('cycle model: setup, then one word a cycle behind the latency; a refused command takes one cycle', async () => {
  const { p } = await commands();
  const e = memEngineParams(p, 32);
  const dram: DramTiming = { latency: 10, bytesPerCycle: 52, queueDepth: 8 };
  const mem = new Uint32Array(MEM_WORDS);
  // tables of 10 channels: 30 words in one burst; the first R word SETUP + 1 + latency cycles after the accept, a write a cycle after each
  assert.is(engineCommandCycles('loader', e, dram, command('tables', { addr: 100, channels: 10 }), mem), SETUP_CYCLES + 1 + 10 + 30);
  // 4-bit weights: 8 WBUF words a memory word, one a cycle
  assert.is(engineCommandCycles('loader', e, dram, command('weights', { addr: 100, words: 64, word_bits: 4, half: 0 }), mem), SETUP_CYCLES + 1 + 10 + 64);
  assert.is(engineCommandCycles('loader', e, dram, command('tile', Object.fromEntries(instrLayout('tile', rtlParams(vc709Sized(4, 2))).map((f) => [f.name, 0]))), mem), 1);
  assert.is(engineCommandCycles('storer', e, dram, command('end', {}), mem), 1);
  // nothing to move: done right after the setup
  assert.is(engineCommandCycles('loader', e, dram, command('tables', { addr: 100, channels: 0 }), mem), SETUP_CYCLES + 2);
});

for (const idx of [0, 1, 2]) {
  withVerilator(test, `loader against the cycle model and the executor, scenario ${idx} (Verilator)`, async () => {
    const s = (await SCENARIOS())[idx];
    runLoader(s, loaderSet(await commands()), false);
  });
  withVerilator(test, `storer against the cycle model and the executor, scenario ${idx} (Verilator)`, async () => {
    const s = (await SCENARIOS())[idx];
    runStorer(s, storerSet(await commands()), false);
  });
}

/** Random commands of every loader op inside the bench's memory, buffers within their sizes. */
function randomLoads(p: RtlParams, seed: number, n: number): EngineCommand[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const out: EngineCommand[] = [];
  for (let i = 0; i < n; i++) {
    const kind = int(0, 5);
    if (kind <= 2) {
      const actBits = [8, 16, 32][int(0, 2)];
      const gm = int(1, 4);
      const words = gm * (32 / actBits);
      const g0 = int(0, words - 1);
      const gs = int(1, words - g0);
      const inH = int(1, 8);
      const inW = int(1, 8);
      out.push(command('load-input', {
        src: int(1024, MEM_WORDS - inH * inW * gm - 1), in_h: inH, in_w: inW, gm, act_bits: actBits, g0, oy0: int(0, 3), ox0: int(0, 3),
        stride_y: int(1, 2), stride_x: int(1, 2), pad_top: int(0, 2), pad_left: int(0, 2), th: int(1, 6), tw: int(1, 6), gs, d: gcd(gs, p.rows),
        row_skip: int(0, 2) * (gs / gcd(gs, p.rows)), half: int(0, 1), pad: Math.floor(r() * 2 ** 32) >>> 0,
      }));
    } else if (kind === 3) {
      const g = int(1, 4);
      const wordLo = int(0, g - 1);
      const v = { src_w: int(1, 8), g, stride_y: int(1, 2), stride_x: int(1, 2), oy0: int(0, 3), ox0: int(0, 3), rows: int(1, 4), cols: int(1, 4), word_lo: wordLo, words: int(1, g - wordLo) };
      const span = ((v.oy0 + v.rows - 1) * v.stride_y * v.src_w + (v.ox0 + v.cols - 1) * v.stride_x) * g + g;
      out.push(command('residual', { ...v, src: int(1024, MEM_WORDS - span - 1) }));
    } else if (kind === 4) {
      const wordBits = [2, 4, 8, 16, 32][int(0, 4)];
      const words = int(1, 600);
      out.push(command('weights', { addr: int(1024, MEM_WORDS - words - 1), words, word_bits: wordBits, half: int(0, 1) }));
    } else {
      out.push(command('tables', { addr: int(1024, MEM_WORDS - 400), channels: int(0, 100) }));
    }
  }
  return out;
}

/** Random store and store-acc commands inside the bench's memory, the staging buffer and OBUF. */
function randomStores(p: RtlParams, seed: number, n: number): EngineCommand[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: EngineCommand[] = [];
  for (let i = 0; i < n; i++) {
    if (int(0, 1) === 0) {
      const g = int(1, 4);
      const wordLo = int(0, g - 1);
      const v = { dst_w: int(1, 10), g, oy0: int(0, 3), ox0: int(0, 3), rows: int(1, 5), cols: int(1, 5), word_lo: wordLo, words: int(1, g - wordLo) };
      const span = ((v.oy0 + v.rows - 1) * v.dst_w + v.ox0 + v.cols) * g;
      out.push(command('store', { ...v, dst: int(1024, MEM_WORDS - span - 1) }));
    } else {
      const m = int(1, 20);
      const nn = int(1, 10);
      const stride = nn + (int(0, 1) ? 0 : int(1, 5));
      out.push(command('store-acc', { addr: int(1024, MEM_WORDS - m * stride - 1), half: int(0, 1), m, n: nn, stride }));
    }
  }
  return out;
}

for (const idx of [1, 2]) {
  withVerilator(test, `random commands, scenario ${idx}: both engines against the cycle model and the executor (Verilator)`, async () => {
    const s = (await SCENARIOS())[idx];
    const cs = await commands();
    runLoader(s, { p: cs.p, image: cs.image, cmds: randomLoads(cs.p, 100 + idx, 40), refused: new Set() }, false);
    runStorer(s, { p: cs.p, image: cs.image, cmds: randomStores(cs.p, 200 + idx, 40), refused: new Set() }, false);
  });
}

withVerilator(test, 'each command alone takes the cycles engineCommandCycles gives (64-bit, latency 24; Verilator)', async () => {
  const s = (await SCENARIOS())[0];
  const cs = await commands();
  runLoader(s, loaderSet(cs), true);
  runStorer(s, storerSet(cs), true);
});

withVerilator(test, 'mem_loader and mem_storer lint clean (-Wall): vc709, and 3x5 at 32 and 128 bits', () => {
  const design = generateRtl(vc);
  for (const name of ['mem_loader', 'mem_storer']) assert.is(lintVerilator(sourcesOf(design, [name]), name), '', name);
  const p = rtlParams(vc709Sized(3, 5));
  for (const bits of [32, 128]) {
    const e = memEngineParams(p, bits);
    for (const m of [memLoaderModule(e, PROV), memStorerModule(e, PROV)]) assert.is(lintVerilator(new Map([[`${m.name}.v`, m.text]]), m.name), '', `${m.name} ${bits}`);
  }
});

test.run();
