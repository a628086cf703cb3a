// A compiled layer (rtl/layer.ts) through bitfusion_layer on the event-driven Verilator harness
// (rtl/sim-events.ts): the checks of checkLayer (rtl/layer-verify.ts) at a fraction of the cost, for running
// whole networks image after image.
//
// What it checks, like checkLayer: every step's start-to-done cycles against the layer compiler's model, every
// tile's OBUF write strobes (cycle and column) against runTile's schedule, every output word's cycle, address and
// data against runOutputPass, and every accumulator a chunk leaves in OBUF, here against the GEMM itself
// (sum over k of a[m][k] * w[k][n], 32-bit wrapping), which runTile and referenceTile equal.
//
// What the host does differently, and what that changes:
//   - a tile's operands are written into IBUF and WBUF directly (backdoor) in its start cycle, where checkLayer
//     writes them through the one-word host ports while the previous tile runs: the ports take M*S*rows IBUF
//     and S*rows*cols WBUF cycles per tile, most of a layer's simulated cycles. The host write ports are not
//     exercised here; checkLayer (test/rtl/layer.test.ts) and the core tests check them;
//   - the accumulators are read from OBUF directly in the output pass's done cycle, where checkLayer reads them
//     through the OBUF host port (one cycle each) after the pass;
//   - the per-channel tables and the residual words still go through their host ports;
//   - steps start back to back: a tile in the cycle its predecessor's done pulses, an output pass once the
//     residual words of its chunk are in.
// The steps' cycles, write strobes and output words are the same as under checkLayer: the start-to-done windows
// do not depend on when the host wrote the operands.
import { runTile } from '../hw/stepped-array.js';
import { RtlDesign, moduleOf, sourcesOf } from './generate.js';
import { LayerProgram, stepCycles } from './layer.js';
import { type LayerCheck, type OutputWrite, type StepTiming, actWrites, outputWriteProblem } from './layer-verify.js';
import { runOutputPass, unpackActivations } from './output-path.js';
import { type SimTop } from './sim.js';
import { EventScript, runEvents } from './sim-events.js';
import { signedOf } from './verify.js';

/** The Verilator configuration of the event build: the buffer RAMs readable and writable from the harness. */
export const LAYER_VLT = '`verilator_config\npublic_flat_rw -module "sdp_ram" -var "mem"\n';

const CORE = 'TOP.bitfusion_layer.u_core';
const ibufScope = (bank: number) => `${CORE}.u_ibuf.g_bank[${bank}].u_bank`;
const wbufScope = (bank: number, cols: number) => `${CORE}.u_wbuf.g_row[${Math.floor(bank / cols)}].g_col[${bank % cols}].u_bank`;
const obufScope = (bank: number) => `${CORE}.u_obuf.g_bank[${bank}].u_bank`;

/** Bit i of a printed bus (hex), 0 for an x or z digit: the trigger bits print as 0 or 1. */
function bitOf(tok: string, i: number): number {
  const d = tok.charCodeAt(tok.length - 1 - (i >> 2));
  const v = d >= 48 && d <= 57 ? d - 48 : d >= 97 && d <= 102 ? d - 87 : 0;
  return (v >> (i & 3)) & 1;
}

export function layerTop(design: RtlDesign): SimTop {
  return { name: 'bitfusion_layer', ports: moduleOf(design, 'bitfusion_layer').ports, clock: 'clk' };
}

/**
 * runTile's OBUF write schedule by tile size: its word flow (and so every write's cycle) does not read the data.
 * A write is the number cycle * cols + column, the list in increasing order.
 */
const writeSchedules = new Map<string, Int32Array>();

function tileWriteSchedule(s: Extract<LayerProgram['steps'][number], { kind: 'tile' }>): Int32Array {
  const t = s.tile.tile;
  const key = `${t.rows}x${t.cols} M${t.M} S${t.S}`;
  let w = writeSchedules.get(key);
  if (w === undefined) {
    w = Int32Array.from(runTile(t).writes, (x) => x.cycle * t.cols + x.col).sort();
    writeSchedules.set(key, w);
  }
  return w;
}

/** The GEMM's accumulators [M][N], wrapping to 32 bits like the core's. */
export function gemmAccumulators(prog: LayerProgram): Int32Array {
  const { M, K, N, a, w } = prog.gemm;
  const acc = new Int32Array(M * N);
  const row = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const x = a[m * K + k];
      if (x === 0) continue;
      const wo = k * N;
      for (let n = 0; n < N; n++) row[n] += x * w[wo + n];
    }
    for (let n = 0; n < N; n++) acc[m * N + n] = row[n] | 0;
  }
  return acc;
}

const u32 = (v: number): bigint => BigInt.asUintN(32, BigInt(v));

/** Runs `prog` on the event build of `design` under Verilator and checks it (see the file comment). */
export function checkLayerFast(design: RtlDesign, prog: LayerProgram): LayerCheck {
  const p = design.params;
  const top = layerTop(design);
  const outNames = top.ports.filter((x) => x.dir === 'output').map((x) => x.name);
  const outIdx = (n: string) => outNames.indexOf(n);
  const s = new EventScript(top);
  const ibuf = Array.from({ length: p.ibuf.banks }, (_, b) => s.memory(ibufScope(b), 'mem'));
  const wbuf = Array.from({ length: p.wbuf.banks }, (_, b) => s.memory(wbufScope(b, p.cols), 'mem'));
  const obuf = Array.from({ length: p.cols }, (_, b) => s.memory(obufScope(b), 'mem'));
  s.set('rst', 1n).at(2).set('rst', 0n);
  const ch = prog.channels;
  let k = 2;
  for (let n = 0; n < prog.gemm.N; n++) {
    [ch.bias[n], ch.m0[n], ch.shift[n]].forEach((v, sel) => {
      s.at(k++);
      s.set('pt_wr_en', 1n).set('pt_wr_sel', BigInt(sel)).set('pt_wr_addr', BigInt(n)).set('pt_wr_data', u32(v));
    });
  }
  s.at(k).set('pt_wr_en', 0n);
  const acc = gemmAccumulators(prog);
  const N = prog.gemm.N;
  const starts: number[] = [];
  // For each output step, the accumulators it should have left in OBUF (peeked in its done cycle), in peek order.
  const peeksWanted: Array<{ step: number; want: number; what: string }> = [];
  // What the host does, by cycle: the schedule is fixed before the run (residual words are known only at their
  // chunk's output step but go in from its first tile on), then written in cycle order.
  const actions: Array<{ cycle: number; seq: number; act: () => void }> = [];
  const plan = (cycle: number, act: () => void) => actions.push({ cycle, seq: actions.length, act });
  let ready = k;
  let chunkStart = -1;
  prog.steps.forEach((st, i) => {
    let start = ready;
    if (st.kind === 'tile' && chunkStart < 0) chunkStart = start;
    if (st.kind === 'output' && st.residualWords) {
      // The chunk's residual words go in through their port from its first tile on (the buffer is idle meanwhile).
      st.residualWords.forEach((v, j) => {
        plan(chunkStart + j, () => s.set('rb_wr_en', 1n).set('rb_wr_addr', BigInt(st.pass.resBase + j)).set('rb_wr_data', u32(v)));
        plan(chunkStart + j + 1, () => s.set('rb_wr_en', 0n));
      });
      start = Math.max(start, chunkStart + st.residualWords.length);
    }
    starts.push(start);
    if (st.kind === 'tile') {
      plan(start, () => {
        const t = st.tile;
        const W = t.tile.M * t.tile.S;
        for (let b = 0; b < t.tile.rows; b++) s.pokeWords(ibuf[b], t.ibufAddr, t.ibufWords, b * W, (b + 1) * W);
        for (let b = 0; b < t.tile.rows * t.tile.cols; b++) s.pokeWords(wbuf[b], t.wbufAddr, t.wbufWords, b * t.tile.S, (b + 1) * t.tile.S);
        s.set('start', 1n).set('desc', st.tile.packed);
      });
      plan(start + 1, () => s.set('start', 0n).set('desc', 0n));
      ready = start + stepCycles(st, p);
    } else {
      chunkStart = -1;
      plan(start, () => s.set('op_start', 1n).set('op_desc', st.packed));
      plan(start + 1, () => s.set('op_start', 0n).set('op_desc', 0n));
      ready = start + stepCycles(st, p);
      const half = p.obuf.doubleBuffered ? st.pass.obufHalf * p.obuf.tileDepth : 0;
      const pass = st.pass;
      plan(ready, () => {
        for (let m = 0; m < pass.M; m++) for (let n = 0; n < pass.N; n++) {
          s.peek(obuf[n % p.cols], half + pass.obufBase + Math.floor(n / p.cols) * pass.mStride + m);
        }
      });
      for (let m = 0; m < pass.M; m++) for (let n = 0; n < pass.N; n++) {
        peeksWanted.push({ step: i, want: acc[(st.m0 + m) * N + n], what: `pixel ${st.m0 + m} channel ${n}` });
      }
    }
  });
  actions.sort((x, y) => x.cycle - y.cycle || x.seq - y.seq);
  for (const a of actions) {
    s.at(a.cycle);
    a.act();
  }
  const simCycles = ready + 2;
  s.at(simCycles);
  const run = runEvents(sourcesOf(design), top, LAYER_VLT, s, ['done', 'op_done', 'ob_wr_en', 'act_wr_en']);

  const problems: string[] = [];
  const steps: StepTiming[] = [];
  const words = new Array<number>(prog.words).fill(NaN);
  let line = 0;
  let peek = 0;
  prog.steps.forEach((st, i) => {
    const k0 = starts[i] + 1;
    const end = i + 1 < prog.steps.length ? starts[i + 1] + 1 : simCycles;
    while (line < run.lines.length && run.lines[line].cycle < k0) line++;
    const from = line;
    while (line < run.lines.length && run.lines[line].cycle < end) line++;
    const mine = run.lines.slice(from, line);
    const model = stepCycles(st, p);
    const doneName = st.kind === 'tile' ? 'done' : 'op_done';
    const doneAt = outIdx(doneName);
    const done = mine.find((l) => bitOf(l.field(doneAt), 0) === 1);
    const rtl = done ? done.cycle - k0 + 1 : NaN;
    steps.push({ kind: st.kind, model, rtl });
    const what = st.kind === 'tile'
      ? `tile m0=${st.origin.m0} n0=${st.origin.n0} k0=${st.origin.k0}${st.tile.descriptor.accumulate ? ' continuation' : ''}`
      : `output pass m0=${st.m0}`;
    const label = `step ${i} (${what})`;
    if (rtl !== model) problems.push(`${label}: done after ${rtl} cycles, the model says ${model}`);
    if (st.kind === 'tile') {
      const got: number[] = [];
      const en = outIdx('ob_wr_en');
      for (const l of mine) {
        const v = l.field(en);
        for (let c = 0; c < p.cols; c++) if (bitOf(v, c) !== 0) got.push((l.cycle - k0) * p.cols + c);
      }
      got.sort((x, y) => x - y);
      const want = tileWriteSchedule(st);
      if (got.length !== want.length || got.some((x, j) => x !== want[j])) {
        const fmt = (w: ArrayLike<number>) => Array.from(w).slice(0, 6).map((x) => `${Math.floor(x / p.cols)}:${x % p.cols}`).join(' ');
        problems.push(`${label}: OBUF writes (cycle:column) ${fmt(got)}..., the model ${fmt(want)}...`);
      }
    } else {
      const want = runOutputPass(st.pass, p.cols, ch, (m, n) => acc[(st.m0 + m) * N + n], (addr) => st.residualWords![addr - st.pass.resBase]);
      const got: OutputWrite[] = [];
      for (const l of mine) {
        if (bitOf(l.values[outIdx('act_wr_en')], 0) !== 1) continue;
        got.push(...actWrites(l.cycle - k0, (n) => l.values[outIdx(n)], words));
      }
      const wrong = outputWriteProblem(want, got);
      if (wrong) problems.push(`${label}: ${wrong}`);
      let bad = false;
      for (; peek < peeksWanted.length && peeksWanted[peek].step === i; peek++) {
        const gotAcc = signedOf(run.peeks[peek] ?? 0n, p.accBits);
        if (!bad && (run.peeks[peek] === undefined || gotAcc !== peeksWanted[peek].want)) {
          problems.push(`${label}: OBUF accumulator of ${peeksWanted[peek].what} is ${gotAcc}, the model ${peeksWanted[peek].want}`);
          bad = true;
        }
      }
    }
  });
  const codes = unpackActivations(words, prog.gemm.M, prog.gemm.N, prog.out.bits, prog.out.perWord, prog.out.signed);
  return {
    simulator: 'verilator', problems, steps, codes, words: Uint32Array.from(words, (x) => (Number.isNaN(x) ? 0 : x)),
    modelCycles: steps.reduce((t, x) => t + x.model, 0), rtlCycles: steps.reduce((t, x) => t + x.rtl, 0), simCycles,
  };
}
