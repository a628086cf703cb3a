// Runs a network program (rtl/net-program.ts) word by word: the memory, the core's buffers and the output unit's
// tables, residual buffer and staging buffer as arrays, every instruction as the hardware carries it out. It is
// the reference the sequencer RTL is held to, and it checks the program itself: the input tiles, each row's window
// reads and the output passes must give the integer model's codes, layer for layer.
import { pairsPerCycle } from '../hw/fusion-unit.js';
import type { ActQuant } from '../src/intmodel/activation.js';
import { poolCodes, quantizeInput } from '../src/intmodel/run-network.js';
import { type PackedTensor, channelWord } from './window.js';
import { type RowStart, tileAddress, walkOffsets } from './walk.js';
import type { NetInstr, NetProgram } from './net-program.js';
import { packActivations, runOutputPass, unpackActivations, wordsPerPixel } from './output-path.js';
import type { RtlParams } from './params.js';

export interface ProgramRun {
  memory: Uint32Array;
  /** The last layer's accumulators plus its bias, [M][N] (the fc: N logits). */
  accumulators: Int32Array;
  /** Instructions executed, by opcode. */
  counts: Record<NetInstr['op'], number>;
}

/** Codes [C][H][W] of a packed tensor in `memory`. */
export function tensorCodes(memory: Uint32Array, t: PackedTensor): Int32Array {
  const G = wordsPerPixel(t.c, t.format.perWord);
  return unpackActivations(memory.subarray(t.base, t.base + t.h * t.w * G), t.h * t.w, t.c, t.format.bits, t.format.perWord, t.format.signed);
}

function writeTensor(memory: Uint32Array, t: PackedTensor, codes: ArrayLike<number>): void {
  memory.set(packActivations(codes, t.h * t.w, t.c, t.format.bits, t.format.perWord), t.base);
}

/** Slot `q` of a packed word, `bits` wide. */
function slot(word: number, q: number, bits: number, signed: boolean): number {
  const v = (word >>> (q * bits)) & ((1 << bits) - 1);
  return signed && v >= 1 << (bits - 1) ? v - (1 << bits) : v;
}

/** The memory and every buffer the program touches, as the hardware holds them. */
export interface CoreState {
  memory: Uint32Array;
  ibuf: Uint32Array[];
  wbuf: Uint32Array[];
  obuf: Int32Array[];
  bias: Int32Array;
  m0: Int32Array;
  shift: Int32Array;
  resbuf: Uint32Array;
  staging: Uint32Array;
  /** The array rows' starting window words (the controller's row table; reset: word r, im2col order). */
  rowStarts: RowStart[];
}

const depth = (b: { doubleBuffered: boolean; tileDepth: number }) => (b.doubleBuffered ? 2 : 1) * b.tileDepth;
const halfBase = (b: { doubleBuffered: boolean; tileDepth: number }, half: number) => (b.doubleBuffered ? half * b.tileDepth : 0);

/** Zeroed buffers of the design `p` over `memory`. */
export function coreState(p: RtlParams, memory: Uint32Array): CoreState {
  return {
    memory,
    ibuf: Array.from({ length: p.rows }, () => new Uint32Array(depth(p.ibuf))),
    wbuf: Array.from({ length: p.rows * p.cols }, () => new Uint32Array(depth(p.wbuf))),
    obuf: Array.from({ length: p.cols }, () => new Int32Array(depth(p.obuf))),
    bias: new Int32Array(p.output.channels),
    m0: new Int32Array(p.output.channels),
    shift: new Int32Array(p.output.channels),
    resbuf: new Uint32Array(0),
    staging: new Uint32Array(0),
    rowStarts: Array.from({ length: p.rows }, (_, r) => ({ kx: 0, g: r, off: 0 })),
  };
}

/** Carries out one instruction on `st` (a host step through `host`). */
export function executeInstr(st: CoreState, ins: NetInstr, p: RtlParams, host: (step: number) => void = () => undefined): void {
  const R = p.rows;
  const C = p.cols;
  const { memory, ibuf, wbuf, obuf, bias, m0, shift } = st;
  switch (ins.op) {
    case 'tables':
      for (let n = 0; n < ins.channels; n++) {
        bias[n] = memory[ins.addr + 3 * n] | 0;
        m0[n] = memory[ins.addr + 3 * n + 1] | 0;
        shift[n] = memory[ins.addr + 3 * n + 2] | 0;
      }
      break;
    case 'weights': {
      const base = halfBase(p.wbuf, ins.half);
      const perMemory = 32 / ins.wordBits;
      for (let i = 0; i < ins.words; i++) {
        const sub = i % perMemory;
        const word = ins.wordBits === 32 ? memory[ins.addr + i] : (memory[ins.addr + (i - sub) / perMemory] >>> (sub * ins.wordBits)) & (2 ** ins.wordBits - 1);
        wbuf[i % (R * C)][base + Math.floor(i / (R * C))] = word;
      }
      break;
    }
    case 'load-input': {
      // Tile pixel (ty, tx) is input pixel (oy0*sy - padTop + ty, ox0*sx - padLeft + tx); outside the image the pad word.
      const w = ins.window;
      const t = ins.input;
      const base = halfBase(p.ibuf, ins.half);
      const pixelWords = wordsPerPixel(ins.src.c, ins.src.format.perWord);
      const y0 = ins.block.oy0 * w.strideY - w.padTop;
      const x0 = ins.block.ox0 * w.strideX - w.padLeft;
      for (let ty = 0; ty < t.th; ty++) for (let tx = 0; tx < t.tw; tx++) for (let g = 0; g < t.gs; g++) {
        const y = y0 + ty;
        const x = x0 + tx;
        const inside = y >= 0 && y < w.inH && x >= 0 && x < w.inW;
        const word = inside ? channelWord(memory, ins.src.base + (y * w.inW + x) * pixelWords, ins.g0 + g, ins.actBits) : ins.pad;
        const addr = base + tileAddress(t, ty * t.pitch + tx, g);
        for (let r = g % t.d; r < R; r += t.d) ibuf[r][addr] = word;
      }
      break;
    }
    case 'rows':
      st.rowStarts = ins.starts.map((x) => ({ ...x }));
      break;
    case 'tile': {
      const d = ins.tile;
      const P = pairsPerCycle(d.mode);
      const ib = halfBase(p.ibuf, d.ibHalf);
      const wb = halfBase(p.wbuf, d.wbHalf);
      const ob = halfBase(p.obuf, d.obHalf) + d.obufBase;
      // Weights as [reduction element][column], activations of one pixel as [reduction element].
      const w = new Int32Array(d.S * R * C * P);
      for (let s = 0; s < d.S; s++) for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
        const word = wbuf[r * C + c][wb + s];
        for (let q = 0; q < P; q++) w[((s * R + r) * P + q) * C + c] = slot(word, q, d.mode.w, d.wSigned);
      }
      const a = new Int32Array(d.S * R * P);
      const acc = new Float64Array(C);
      const offsets = walkOffsets(d.walk, st.rowStarts, d.M, d.S, p.ibuf.offsetBits);
      for (let m = 0; m < d.M; m++) {
        for (let s = 0; s < d.S; s++) for (let r = 0; r < R; r++) {
          const word = ibuf[r][ib + offsets[m * d.S + s][r]];
          for (let q = 0; q < P; q++) a[(s * R + r) * P + q] = slot(word, q, d.mode.a, d.aSigned);
        }
        for (let c = 0; c < C; c++) acc[c] = d.accumulate ? obuf[c][ob + m] : 0;
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          if (v === 0) continue;
          const wo = i * C;
          for (let c = 0; c < C; c++) acc[c] += v * w[wo + c];
        }
        for (let c = 0; c < C; c++) obuf[c][ob + m] = acc[c] | 0;
      }
      break;
    }
    case 'residual': {
      const r = ins.read;
      const G = wordsPerPixel(r.src.c, r.src.format.perWord);
      const b = ins.block;
      st.resbuf = new Uint32Array(b.rows * b.cols * ins.words);
      for (let m = 0; m < b.rows * b.cols; m++) {
        const oy = b.oy0 + Math.floor(m / b.cols);
        const ox = b.ox0 + (m % b.cols);
        const from = r.src.base + (oy * r.strideY * r.src.w + ox * r.strideX) * G + ins.wordLo;
        st.resbuf.set(memory.subarray(from, from + ins.words), m * ins.words);
      }
      break;
    }
    case 'output': {
      // The residual buffer holds the source's raw words; the pass reads, moves and rescales them (rtl/output-path.ts residualCode).
      const pass = ins.pass;
      const ob = halfBase(p.obuf, pass.obufHalf) + pass.obufBase;
      const G = wordsPerPixel(pass.N, pass.perWord);
      const acc = (m: number, n: number) => obuf[n % C][ob + Math.floor(n / C) * pass.mStride + m];
      const writes = runOutputPass(pass, C, { bias, m0, shift }, acc, (addr) => st.resbuf[addr]);
      if (st.staging.length < pass.outBase + pass.M * G) st.staging = new Uint32Array(pass.outBase + pass.M * G);
      for (const wr of writes) st.staging[wr.addr] = wr.data;
      break;
    }
    case 'store': {
      // Staging word m*words + g goes to word wordLo + g of the block's pixel m in the tensor.
      const t = ins.dst;
      const G = wordsPerPixel(t.c, t.format.perWord);
      const b = ins.block;
      for (let m = 0; m < b.rows * b.cols; m++) {
        const pixel = (b.oy0 + Math.floor(m / b.cols)) * t.w + b.ox0 + (m % b.cols);
        memory.set(st.staging.subarray(m * ins.words, (m + 1) * ins.words), t.base + pixel * G + ins.wordLo);
      }
      break;
    }
    case 'store-acc': {
      const ob = halfBase(p.obuf, ins.half);
      for (let m = 0; m < ins.M; m++) for (let n = 0; n < ins.N; n++) {
        memory[ins.addr + m * ins.stride + n] = obuf[n % C][ob + Math.floor(n / C) * ins.M + m] >>> 0;
      }
      break;
    }
    case 'host':
      host(ins.step);
      break;
    case 'end':
      break;
  }
}

/** The memory a program starts from: its weights and tables, and the image quantized into every input copy (the host's part). */
export function programMemory(prog: NetProgram, x: ArrayLike<number>): Uint32Array {
  const memory = new Uint32Array(prog.words);
  memory.set(prog.image);
  const inputCodes = quantizeInput(x, prog.input.grid);
  for (const c of prog.input.copies) writeTensor(memory, c, inputCodes);
  return memory;
}

/** The host's work at a program's host step: pooling, from memory into memory. */
export function hostStep(prog: NetProgram, memory: Uint32Array, step: number): void {
  const h = prog.hostSteps[step];
  const codes = poolCodes(h.layer, { shape: h.layer.input, codes: tensorCodes(memory, h.from), ...gridOf(h.fromGrid) }, h.out);
  for (const t of h.to) writeTensor(memory, t, codes);
}

/** The last layer's accumulators as the host reads them at the end: what the core stored plus the bias. */
export function programLogits(prog: NetProgram, memory: Uint32Array): Int32Array {
  const { addr, M, N } = prog.logits;
  return Int32Array.from({ length: M * N }, (_, i) => (memory[addr + i] + prog.logits.bias[i % N]) | 0);
}

/** Runs `prog` on the float image `x` ([C][H][W]); the host's steps (input, pools, the bias) run where the program pauses. */
export function runProgram(prog: NetProgram, p: RtlParams, x: ArrayLike<number>): ProgramRun {
  const memory = programMemory(prog, x);
  const st = coreState(p, memory);
  const counts = Object.fromEntries(['tables', 'load-input', 'weights', 'rows', 'tile', 'residual', 'output', 'store', 'store-acc', 'host', 'end']
    .map((k) => [k, 0])) as ProgramRun['counts'];
  for (const ins of prog.instrs) {
    counts[ins.op]++;
    if (ins.op === 'end') break;
    executeInstr(st, ins, p, (step) => hostStep(prog, memory, step));
  }
  return { memory, accumulators: programLogits(prog, memory), counts };
}

const gridOf = (g: ActQuant) => ({ scale: g.scale, zeroPoint: g.zeroPoint });
