// Runs a compiled layer (rtl/layer.ts) through bitfusion_layer under a simulator the way a host would, and
// checks it against the TypeScript models: every tile's OBUF writes to the cycle (runTile), the accumulators
// left in OBUF after each chunk (referenceTile down the continuation chain), every output word to the cycle
// and the bit (runOutputPass), and the layer's output codes against the integer model (runIntegerLayer).
//
// Host schedule: reset, the per-channel tables, then the steps back to back: a tile or output pass starts in
// the cycle the previous one's done pulses, unless the host is still writing the next tile's operands (it
// fills the idle IBUF/WBUF half while a tile runs; after it, when the buffers are single) or reading a
// chunk's accumulators back.
import { runTile } from '../hw/stepped-array.js';
import { RtlDesign, moduleOf, sourcesOf } from './generate.js';
import { LayerProgram, stepCycles } from './layer.js';
import { runOutputPass, unpackActivations } from './output-path.js';
import { SimTop, Stimulus, cycleInputs, fieldOf, runIcarus, runVerilator, valueOf } from './sim.js';
import { Simulator, signedOf } from './verify.js';

export interface StepTiming {
  kind: 'tile' | 'output';
  /** Model cycles from start to done (stepCycles) and as the RTL ran (NaN when done never pulsed). */
  model: number;
  rtl: number;
}

export interface LayerCheck {
  simulator: Simulator;
  /** Problems found, in order; empty when the RTL equals the models. */
  problems: string[];
  steps: StepTiming[];
  /** Output words (word m*G + g, rtl/output-path.ts) and codes [outC][M] as the RTL wrote them. */
  words: Uint32Array;
  codes: Int32Array;
  /** Sum of the steps' start-to-done cycles: model and RTL. */
  modelCycles: number;
  rtlCycles: number;
  /** Simulated cycles in all (reset, table loads, operand writes and read-backs included). */
  simCycles: number;
}

/** An output word the output unit wrote: the cycle after its pass started, the word address, the data. */
export interface OutputWrite {
  cycle: number;
  addr: number;
  data: number;
}

/** The first output write that differs from the model's (cycle, address or data), or null when all are equal. */
export function outputWriteProblem(want: readonly OutputWrite[], got: readonly OutputWrite[]): string | null {
  const fmt = (w: OutputWrite) => `cycle ${w.cycle} word ${w.addr} = 0x${w.data.toString(16)}`;
  const diff = want.findIndex((w, j) => !got[j] || got[j].cycle !== w.cycle || got[j].addr !== w.addr || got[j].data !== w.data);
  if (diff < 0 && got.length === want.length) return null;
  const j = diff >= 0 ? diff : want.length;
  return `output write ${j}: ${got[j] ? fmt(got[j]) : 'none'}, the model ${want[j] ? fmt(want[j]) : 'none'}`;
}

/**
 * The words of one cycle's act_wr_* write (the output unit writes act_wr_count words at once), read from the
 * simulator's printed outputs; each also goes into `words` at its address. An unknown address or count is one
 * write with a NaN address, an unknown word a NaN data: neither equals a model write.
 */
export function actWrites(cycle: number, out: (name: string) => string, words: number[]): OutputWrite[] {
  const a = valueOf(out('act_wr_addr'));
  const n = valueOf(out('act_wr_count'));
  if (a === null || n === null) return [{ cycle, addr: NaN, data: NaN }];
  const data = out('act_wr_data');
  return Array.from({ length: Number(n) }, (_, i) => {
    const d = fieldOf(data, i, 32);
    const w = { cycle, addr: Number(a) + i, data: d === null ? NaN : Number(d) };
    if (d !== null && w.addr < words.length) words[w.addr] = w.data;
    return w;
  });
}

const u32 = (v: number): bigint => BigInt.asUintN(32, BigInt(v));

export function checkLayer(design: RtlDesign, sim: Simulator, prog: LayerProgram): LayerCheck {
  const p = design.params;
  const mod = moduleOf(design, 'bitfusion_layer');
  const top: SimTop = { name: 'bitfusion_layer', ports: mod.ports, clock: 'clk' };
  const inputs = mod.ports.filter((x) => x.dir === 'input' && x.name !== 'clk').map((x) => x.name);
  const outNames = mod.ports.filter((x) => x.dir === 'output').map((x) => x.name);
  const outIdx = (n: string) => outNames.indexOf(n);
  const { cycles, at } = cycleInputs();
  let k = 2;
  // Per-channel tables: bias, M0, shift of every output channel.
  const ch = prog.channels;
  for (let n = 0; n < prog.gemm.N; n++) {
    [ch.bias[n], ch.m0[n], ch.shift[n]].forEach((v, sel) => {
      Object.assign(at(k++), { pt_wr_en: 1n, pt_wr_sel: BigInt(sel), pt_wr_addr: BigInt(n), pt_wr_data: u32(v) });
    });
  }
  const tiles = prog.steps.flatMap((s) => (s.kind === 'tile' ? [s.tile] : []));
  const load = (i: number, from: number): number => {
    const ct = tiles[i];
    ct.ibufWrites.forEach((w, j) => {
      Object.assign(at(from + j), { ib_wr_en: 1n, ib_wr_bank: BigInt(w.bank), ib_wr_addr: BigInt(w.addr), ib_wr_data: BigInt(w.data) });
    });
    ct.wbufWrites.forEach((w, j) => {
      Object.assign(at(from + j), { wb_wr_en: 1n, wb_wr_bank: BigInt(w.bank), wb_wr_addr: BigInt(w.addr), wb_wr_data: BigInt(w.data) });
    });
    return from + Math.max(ct.ibufWrites.length, ct.wbufWrites.length);
  };
  // The cycle from which the next tile's operands are in its buffer half.
  let loadedAt = load(0, k);
  let nextTile = 0;
  const starts: number[] = [];
  // readBacks[i]: for output step i, (response cycle, expected accumulator) of every OBUF word of its chunk.
  const readBacks = new Map<number, Array<{ cycle: number; want: number; what: string }>>();
  const accOf = new Map<string, number>(); // `${m0+m},${n}` -> final accumulator (the model's)
  let ready = loadedAt;
  // The chunk's residual words go in from its first tile on (the buffer is idle while tiles run).
  let chunkStart = -1;
  prog.steps.forEach((s, i) => {
    let start = Math.max(ready, s.kind === 'tile' ? loadedAt : 0);
    if (s.kind === 'tile' && chunkStart < 0) chunkStart = start;
    if (s.kind === 'output' && s.residualWords) {
      s.residualWords.forEach((v, j) => Object.assign(at(chunkStart + j), { rb_wr_en: 1n, rb_wr_addr: BigInt(s.pass.resBase + j), rb_wr_data: u32(v) }));
      start = Math.max(start, chunkStart + s.residualWords.length);
    }
    starts.push(start);
    if (s.kind === 'tile') {
      Object.assign(at(start), { start: 1n, desc: s.tile.packed });
      nextTile++;
      ready = start + stepCycles(s, p); // the done cycle: start + 1 + tileCycles
      // Without double buffering the next tile's operands wait until this tile is done with the buffers.
      const overlap = p.ibuf.doubleBuffered && p.wbuf.doubleBuffered;
      if (nextTile < tiles.length) loadedAt = load(nextTile, overlap ? start + 1 : ready);
      if (s.origin.last) {
        const out = runTile(s.tile.tile).out;
        for (let m = 0; m < s.tile.tile.M; m++) for (let c = 0; c < p.cols && s.origin.n0 + c < prog.gemm.N; c++) {
          accOf.set(`${s.origin.m0 + m},${s.origin.n0 + c}`, out[m * p.cols + c]);
        }
      }
    } else {
      chunkStart = -1;
      Object.assign(at(start), { op_start: 1n, op_desc: s.packed });
      let r = start + stepCycles(s, p);
      // Read the chunk's accumulators back through the host port once the pass is done.
      const list: Array<{ cycle: number; want: number; what: string }> = [];
      const half = p.obuf.doubleBuffered ? s.pass.obufHalf * p.obuf.tileDepth : 0;
      for (let m = 0; m < s.pass.M; m++) for (let n = 0; n < s.pass.N; n++) {
        const addr = half + s.pass.obufBase + Math.floor(n / p.cols) * s.pass.mStride + m;
        Object.assign(at(r), { ob_rd_bank: BigInt(n % p.cols), ob_rd_addr: BigInt(addr) });
        list.push({ cycle: r + 1, want: accOf.get(`${s.m0 + m},${n}`)!, what: `pixel ${s.m0 + m} channel ${n}` });
        r++;
      }
      readBacks.set(i, list);
      ready = r + 1;
    }
  });
  at(ready + 2);
  const stim: Stimulus = cycles.map((c) => inputs.map((n) => c[n] ?? 0n));
  const sources = sourcesOf(design);
  const resp = sim === 'verilator' ? runVerilator(sources, top, stim) : runIcarus(sources, top, stim);
  const bit = (kk: number, name: string, i = 0): bigint | null => fieldOf(resp[kk][outIdx(name)], i, 1);

  const problems: string[] = [];
  const steps: StepTiming[] = [];
  const words = new Array<number>(prog.words).fill(NaN);
  prog.steps.forEach((s, i) => {
    const k0 = starts[i] + 1;
    const end = i + 1 < prog.steps.length ? starts[i + 1] + 1 : stim.length;
    const model = stepCycles(s, p);
    const doneName = s.kind === 'tile' ? 'done' : 'op_done';
    let doneAt = NaN;
    for (let kk = k0; kk < end && Number.isNaN(doneAt); kk++) if (bit(kk, doneName) === 1n) doneAt = kk - k0;
    steps.push({ kind: s.kind, model, rtl: doneAt + 1 });
    const what = s.kind === 'tile'
      ? `tile m0=${s.origin.m0} n0=${s.origin.n0} k0=${s.origin.k0}${s.tile.descriptor.accumulate ? ' continuation' : ''}`
      : `output pass m0=${s.m0}`;
    const label = `step ${i} (${what})`;
    if (doneAt + 1 !== model) problems.push(`${label}: done after ${doneAt + 1} cycles, the model says ${model}`);
    if (s.kind === 'tile') {
      const want = runTile(s.tile.tile).writes.map((w) => `${w.cycle}:${w.col}`).sort();
      const got: string[] = [];
      for (let kk = k0; kk < end; kk++) for (let c = 0; c < p.cols; c++) if (bit(kk, 'ob_wr_en', c) !== 0n) got.push(`${kk - k0}:${c}`);
      got.sort();
      if (got.join() !== want.join()) {
        problems.push(`${label}: OBUF writes (cycle:column) ${got.slice(0, 6).join(' ')}..., the model ${want.slice(0, 6).join(' ')}...`);
      }
    } else {
      const want = runOutputPass(s.pass, p.cols, prog.channels, (m, n) => accOf.get(`${s.m0 + m},${n}`)!,
        (addr) => s.residualWords![addr - s.pass.resBase]);
      const got: OutputWrite[] = [];
      for (let kk = k0; kk < end; kk++) {
        if (bit(kk, 'act_wr_en') !== 1n) continue;
        got.push(...actWrites(kk - k0, (n) => resp[kk][outIdx(n)], words));
      }
      const wrong = outputWriteProblem(want, got);
      if (wrong) problems.push(`${label}: ${wrong}`);
      for (const rb of readBacks.get(i)!) {
        const v = valueOf(resp[rb.cycle][outIdx('ob_rd_data')]);
        const gotAcc = v === null ? NaN : signedOf(v, p.accBits);
        if (gotAcc !== rb.want) {
          problems.push(`${label}: OBUF accumulator of ${rb.what} is ${gotAcc}, the model ${rb.want}`);
          break;
        }
      }
    }
  });
  const codes = unpackActivations(words, prog.gemm.M, prog.gemm.N, prog.out.bits, prog.out.perWord, prog.out.signed);
  return {
    simulator: sim, problems, steps, codes, words: Uint32Array.from(words, (x) => (Number.isNaN(x) ? 0 : x)),
    modelCycles: steps.reduce((s, x) => s + x.model, 0), rtlCycles: steps.reduce((s, x) => s + x.rtl, 0), simCycles: stim.length,
  };
}
