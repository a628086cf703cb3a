// The AXI4 DMA engine against its cycle model: every AR/AW request, R/W/B handshake, local read and write
// and done pulse of the RTL (axi_dma + axi_dram_model under Verilator, one run under Icarus) in the cycle
// simulateDma() puts it, the words bit for bit, and the DRAM's final contents.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPreset } from '../../hw/presets.js';
import {
  AxiDmaParams, DmaTrace, DramTiming, axiDmaParams, dmaCommandCycles, dramBytesPerCycle, simulateDma, splitBursts,
} from '../../rtl/axi-model.js';
import { DmaBenchRun, DmaBenchSetup, queuedCommands, runDmaBench } from '../../rtl/dma-bench.js';
import { boardOutput } from '../../rtl/board.js';
import { generateRtl, simulationModels, sourcesOf } from '../../rtl/generate.js';
import { rtlParams } from '../../rtl/params.js';
import { lintVerilator } from '../../rtl/sim.js';
import { synthXilinx } from '../../rtl/yosys.js';
import { prng } from '../../rtl/verify.js';
import { withIcarus, withTools, withVerilator } from '../helpers.js';

const PROV = { configName: 'test' };

function dmaOf(dataBits: number, over: Partial<AxiDmaParams> = {}): AxiDmaParams {
  return { dataBits, addrBits: 32, lenBits: 16, selBits: 2, localAddrBits: 10, maxOutstanding: 4, fifoDepth: 4, ...over };
}

function randWord(r: () => number, bits: number): bigint {
  let v = 0n;
  for (let b = 0; b < bits; b += 16) v |= BigInt(Math.floor(r() * 65536)) << BigInt(b);
  return v & ((1n << BigInt(bits)) - 1n);
}

test('bursts: at most 256 beats, none across a 4 KiB boundary, in order and covering the transfer', () => {
  assert.equal(splitBursts(0xe00, 600, 8), [
    { addr: 0xe00, beats: 64 }, { addr: 0x1000, beats: 256 }, { addr: 0x1800, beats: 256 }, { addr: 0x2000, beats: 24 },
  ]);
  assert.equal(splitBursts(0x1ff0, 3, 16), [{ addr: 0x1ff0, beats: 1 }, { addr: 0x2000, beats: 2 }]);
  assert.equal(splitBursts(0, 0, 8), []);
  for (const [addr, n, beat] of [[0x7f8, 1000, 8], [0x20, 700, 16], [0xff0, 257, 16]]) {
    let a = addr;
    for (const b of splitBursts(addr, n, beat)) {
      assert.is(b.addr, a);
      assert.ok(b.beats >= 1 && b.beats <= 256);
      assert.is(Math.floor(b.addr / 4096), Math.floor((b.addr + b.beats * beat - 1) / 4096), `burst at 0x${b.addr.toString(16)} crosses 4 KiB`);
      a += b.beats * beat;
    }
    assert.is(a, addr + n * beat);
  }
  assert.throws(() => splitBursts(0x104, 4, 8), /not aligned/);
});

test('DRAM bandwidth in bytes per cycle from the config: one formula, scaled by the AXI clock', () => {
  const vc = getPreset('vc709')!;
  assert.is(dramBytesPerCycle(vc), 52); // 597 * 0.7 / 8 = 52.2
  assert.is(dramBytesPerCycle(vc, 100), 104); // the same DDR3 seen from a 100 MHz port
  assert.is(dramBytesPerCycle({ clockMHz: 100, dram: { bitsPerCycle: 40, efficiency: 0.5 } }), 2);
  assert.is(dramBytesPerCycle({ clockMHz: 100, dram: { bitsPerCycle: 4, efficiency: 0.5 } }), 1);
  const a = axiDmaParams(rtlParams(vc));
  assert.equal([a.dataBits, a.selBits, a.localAddrBits], [64, 2 + 6, 11]);
});

test('cycle model: an idle engine and a fast memory take latency + N + 1 (load) and latency + N + 3 (store)', () => {
  const dma = dmaOf(64);
  const dram: DramTiming = { latency: 20, bytesPerCycle: 52, queueDepth: 8 };
  for (const n of [1, 5, 256, 600]) {
    assert.is(dmaCommandCycles(dma, dram, { write: false, addr: 0x1000, len: n, sel: 0, local: 0 }), 20 + n + 1, `load ${n}`);
    assert.is(dmaCommandCycles(dma, dram, { write: true, addr: 0x1000, len: n, sel: 0, local: 0 }), 20 + n + 3, `store ${n}`);
  }
  // a zero-length command completes two cycles after it is accepted
  assert.is(dmaCommandCycles(dma, dram, { write: false, addr: 0, len: 0, sel: 0, local: 0 }), 2);
  // 3 bytes per cycle over 8-byte beats: the memory, not the port, sets the rate
  const slow = dmaCommandCycles(dma, { ...dram, bytesPerCycle: 3 }, { write: false, addr: 0, len: 300, sel: 0, local: 0 });
  assert.ok(Math.abs(slow - (20 + (300 * 8) / 3)) <= 4, `${slow}`);
  // one-beat bursts (a 4 KiB boundary every beat is impossible, so: two in flight and a long latency)
  const few = dmaCommandCycles(dmaOf(64, { maxOutstanding: 2 }), { ...dram, latency: 30 }, { write: false, addr: 0xff8, len: 2, sel: 0, local: 0 });
  assert.is(few, 30 + 2 + 1);
});

test('the DRAM model goes with the simulator sources only: built for the config, never in the design or build.tcl', () => {
  const cfg = getPreset('vc709')!;
  const [m] = simulationModels(cfg);
  assert.is(m.name, 'axi_dram_model');
  assert.match(m.text, /NOT SYNTHESIZABLE/);
  assert.is(m.params.find((p) => p.name === 'BW_BYTES')!.value, 52);
  assert.is(m.params.find((p) => p.name === 'DATA_W')!.value, 64);
  const { files } = boardOutput(cfg);
  assert.ok(files.has('axi_dma.v') && files.has('host_link.v') && files.has('uart_rx.v') && files.has('uart_tx.v'));
  assert.not.ok(files.has('axi_dram_model.v'));
  assert.not.match(files.get('build.tcl')!, /axi_dram_model/);
  assert.match(files.get('build.tcl')!, /axi_dma\.v/);
  assert.not.ok(generateRtl(cfg).modules.some((x) => x.name === 'axi_dram_model'));
});

function compareTraces(got: DmaTrace, want: DmaTrace): void {
  const keys: Array<keyof DmaTrace> = ['accepted', 'done', 'ar', 'aw', 'r', 'b', 'lr'];
  for (const k of keys) assert.equal(got[k], want[k], `${k} differs`);
  assert.is(got.w.length, want.w.length, 'W beats');
  got.w.forEach((w, i) => assert.equal(w, want.w[i], `W beat ${i}`));
  assert.is(got.lw.length, want.lw.length, 'local writes');
  got.lw.forEach((w, i) => assert.equal(w, want.lw[i], `local write ${i}`));
}

interface Scenario {
  setup: DmaBenchSetup;
  run: DmaBenchRun;
}

/**
 * A load across a 4 KiB boundary and the 256-beat limit, then (queued behind it, so back to back) a store of
 * the same words to another place across a boundary, a short load to another bank, and a zero-length command.
 */
function scenario(dataBits: number, dram: DramTiming, seed: number, over: Partial<AxiDmaParams> = {}): Scenario {
  const beat = dataBits / 8;
  const r = prng(seed);
  const dma = dmaOf(dataBits, over);
  const n = 600;
  const src = 4096 - 64 * beat;
  const dst = 3 * 4096 - 40 * beat;
  const dramInit = new Map<number, bigint>();
  for (let i = 0; i < n; i++) dramInit.set(src / beat + i, randWord(r, dataBits));
  for (let i = 0; i < 16; i++) dramInit.set(8 * 4096 / beat + i, randWord(r, dataBits));
  const localInit = Array.from({ length: 8 }, (_, i) => ({ sel: 3, addr: 900 + i, data: randWord(r, dataBits) }));
  const commands = [
    { push: 0, write: false, addr: src, len: n, sel: 1, local: 0 },
    { push: 1, write: true, addr: dst, len: n, sel: 1, local: 0 },
    { push: 2, write: false, addr: 8 * 4096 + 2 * beat, len: 7, sel: 2, local: 1020 },
    { push: 3, write: false, addr: 0, len: 0, sel: 0, local: 0 },
    { push: 4, write: true, addr: 9 * 4096 - beat, len: 8, sel: 3, local: 900 },
  ];
  const setup: DmaBenchSetup = { dma, dram, dramWords: 16 * 4096 / beat };
  let cycles = 0;
  for (const c of commands) cycles += dmaCommandCycles(dma, dram, c) + 2;
  const readBack = [...Array.from({ length: n }, (_, i) => dst / beat + i), ...Array.from({ length: 8 }, (_, i) => 9 * 4096 / beat - 1 + i)];
  return { setup, run: { dramInit, localInit, commands, runCycles: cycles + 20, readBack } };
}

function runScenario(sim: 'verilator' | 'icarus', s: Scenario): void {
  const got = runDmaBench(sim, s.setup, s.run, PROV);
  const dramWords = new Map(s.run.dramInit);
  const localWords = new Map(s.run.localInit.map((w) => [w.sel * 2 ** s.setup.dma.localAddrBits + w.addr, w.data]));
  const want = simulateDma({
    dma: s.setup.dma, dram: s.setup.dram, commands: queuedCommands(s.run, got.firstPush), dramWords, localWords, cycles: got.firstPush + s.run.runCycles,
  });
  assert.is(want.done.length, s.run.commands.length, 'the model finished every command');
  compareTraces(got.trace, want);
  assert.not.ok(got.errSeen);
  // bit-exact data: the load wrote what DRAM held, the store wrote it back elsewhere
  const beat = s.setup.dma.dataBits / 8;
  const [load, store] = s.run.commands;
  want.lw.slice(0, load.len).forEach((w, i) => assert.is(w.data, s.run.dramInit.get(load.addr / beat + i), `loaded word ${i}`));
  for (let i = 0; i < store.len; i++) assert.is(got.readBack.get(store.addr / beat + i), s.run.dramInit.get(load.addr / beat + i), `stored word ${i}`);
  for (const [addr, v] of got.readBack) assert.is(v, dramWords.get(addr) ?? 0n, `DRAM beat ${addr}`);
  // back to back: each queued command is accepted in the cycle the previous one's done pulses
  for (let i = 1; i < got.trace.accepted.length; i++) assert.is(got.trace.accepted[i], got.trace.done[i - 1], `command ${i} accepted at the previous done`);
}

withVerilator(test, 'axi_dma and axi_dram_model lint clean (-Wall on the engine)', () => {
  const design = generateRtl(getPreset('vc709')!);
  const dma = design.modules.find((m) => m.name === 'axi_dma')!;
  assert.ok(dma, 'axi_dma is part of the generated design');
  assert.is(lintVerilator(new Map([['axi_dma.v', dma.text]]), 'axi_dma'), '');
});

withTools(test, ['yosys'], 'axi_dma maps to a few hundred LUTs (Yosys synth_xilinx, vc709: 64-bit, 4 bursts in flight)', () => {
  const r = synthXilinx(sourcesOf(generateRtl(getPreset('vc709')!), ['axi_dma']), 'axi_dma', 600, { flatten: true }).resources;
  assert.ok(r.lut > 100 && r.lut <= 500, `${r.lut} LUTs`);
  assert.ok(r.ff > 150 && r.ff <= 320, `${r.ff} FFs`);
  assert.is(r.dsp + r.bram36, 0);
});

withVerilator(test, '64-bit, memory faster than the port, latency 24: every handshake in the model\'s cycle, data bit-exact (Verilator)', () => {
  runScenario('verilator', scenario(64, { latency: 24, bytesPerCycle: dramBytesPerCycle(getPreset('vc709')!), queueDepth: 8 }, 1));
});

withVerilator(test, '128-bit, memory at 5 bytes per cycle, two bursts in flight: throttled beats match the model (Verilator)', () => {
  runScenario('verilator', scenario(128, { latency: 7, bytesPerCycle: 5, queueDepth: 2 }, 2, { maxOutstanding: 2, fifoDepth: 2 }));
});

withIcarus(test, '64-bit, 3 bytes per cycle, latency 40: the same comparison under Icarus', () => {
  runScenario('icarus', scenario(64, { latency: 40, bytesPerCycle: 3, queueDepth: 4 }, 3));
});

test.run();
