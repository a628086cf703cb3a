// The output path: what the output unit (rtl/modules/output-unit.ts) does to the finished accumulators of an
// OBUF half, as a reference model, a timing model and the pass descriptor.
//
// An output pass reads M pixels x N channels from OBUF (channel n of pixel m at bank n % COLS, word
// base + floor(n / COLS) * mStride + m, the layout compileLayer leaves), and per element computes exactly the
// .hwq integer model's output code (outputCode below: bias add with int32 wrap, then src/intmodel's
// requantize with the per-channel M0 and shift). Codes are packed `perWord` to a 32-bit word, element i of a
// word at bits [i*bits +: bits]; pixel m's channels fill words m*G .. m*G + G - 1 (G = ceil(N / perWord),
// the last word zero padded) from the pass's outBase. With perWord = the next layer's pairs per cycle P,
// word g of pixel m is what IBUF bank g % ROWS holds at word m*S' + floor(g / ROWS) for a 1x1 convolution or
// a fully connected layer reading these channels (S' = ceil(G / ROWS) its reduction steps).
//
// Lanes: the output unit has one lane per OBUF bank (array column) and handles a pixel's channels COLS at a
// time: pass cycle i reads group i = m * J + j (J = ceil(N / COLS)), channels j*COLS .. j*COLS + COLS - 1 of
// pixel m, at one OBUF word in every bank (lanes past N masked). A word is written in the cycle its last
// channel's group leaves the pipeline, OUTPUT_LATENCY after its read: a cycle writes between 0 and COLS
// consecutive words (perWord <= COLS: about COLS / perWord a cycle; perWord > COLS: one word every
// perWord / COLS cycles on average, the codes of a word met so far held in the unit). The write port is wide:
// act_wr_en, act_wr_addr (the first word), act_wr_count (1 .. COLS words) and act_wr_data (word i of the
// cycle at bits [i*32 +: 32], for address act_wr_addr + i; words at and above the count are not written).
//
// Residual add: the residual operand is a tensor of the same shape in the output's scale and zero point
// (e.g. an earlier layer's output), held packed in the same word layout in the unit's residual buffer
// (loaded by the host one word at a time; the pass reads word resBase + its word index, a cycle's words together
// from the buffer's banks). Adding two tensors of one scale and zero point zp is (q1 - zp) + (q2 - zp) + zp, so
// the residual code takes the zero point's place: code = clamp(MultiplyByQuantizedMultiplier(acc) + residual).
//
// Descriptor fields (least significant first): m, n, m_stride, ob_half, obuf_base, e_bits (width code of
// the output element), per_word, o_signed (elements and residual codes are signed), zero_point, min, max
// (ZP_W-bit two's complement), residual, out_base, res_base.
import { requantize } from '../src/intmodel/requant.js';
import { widthCode } from './pack.js';
import { RtlParams } from './params.js';
import { type DescField, packFields } from './descriptor.js';

/** Bits of the zero point and clamp bounds: every code of an 8-bit operand, signed or not (-128 .. 255). */
export const ZP_BITS = 9;
/** Output unit pipeline: group i's OBUF read is in pass cycle i, the words it completes are written in i + OUTPUT_LATENCY. */
export const OUTPUT_LATENCY = 6;
/** Width of the per-word element count (per_word is 1 .. 16). */
export const PER_WORD_BITS = 5;

export type ElementBits = 2 | 4 | 8;

export interface OutputPass {
  /** Pixels and channels of the pass. */
  M: number;
  N: number;
  /** OBUF words between column tiles of one pixel. */
  mStride: number;
  obufHalf: 0 | 1;
  obufBase: number;
  bits: ElementBits;
  perWord: number;
  signed: boolean;
  zeroPoint: number;
  min: number;
  max: number;
  residual: boolean;
  outBase: number;
  resBase: number;
}

/** Per output channel of a layer: the integer bias and the requantization multiplier. */
export interface ChannelParams {
  bias: Int32Array;
  m0: Int32Array;
  shift: Int32Array;
}

/** One element of the integer model: int32 accumulator plus bias (wrapping like the hardware), requantized. */
export function outputCode(acc: number, bias: number, m0: number, shift: number, addend: number, min: number, max: number): number {
  return requantize((acc + bias) | 0, m0, shift, addend, min, max);
}

/** Words per pixel of a pass. */
export function wordsPerPixel(N: number, perWord: number): number {
  return Math.ceil(N / perWord);
}

/** Channel groups (pass cycles of reads) per pixel: the lanes take COLS channels a cycle. */
export function groupsPerPixel(N: number, cols: number): number {
  return Math.ceil(N / cols);
}

/** Cycles of a pass from its first OBUF read to its last word write (inclusive count), on `cols` lanes. */
export function outputPassCycles(pass: Pick<OutputPass, 'M' | 'N'>, cols: number): number {
  const groups = pass.M * groupsPerPixel(pass.N, cols);
  return groups > 0 ? groups + OUTPUT_LATENCY : 0;
}

export interface OutputWrite {
  /** Pass cycle (0 = the cycle after start) of the write. */
  cycle: number;
  addr: number;
  data: number;
}

function element(word: number, slot: number, bits: number, signed: boolean): number {
  const v = Math.floor(word / 2 ** (slot * bits)) % 2 ** bits;
  return signed && v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

/**
 * The pass as the model computes it on `cols` lanes: every output word with its address, data and write cycle.
 * `acc(m, n)` is the accumulator of pixel m, channel n; `res(word)` the residual buffer word.
 */
export function runOutputPass(
  pass: OutputPass, cols: number, params: ChannelParams, acc: (m: number, n: number) => number, res: (addr: number) => number = () => 0,
): OutputWrite[] {
  const G = wordsPerPixel(pass.N, pass.perWord);
  const J = groupsPerPixel(pass.N, cols);
  const writes: OutputWrite[] = [];
  for (let m = 0; m < pass.M; m++) {
    for (let g = 0; g < G; g++) {
      const w = m * G + g;
      const rword = pass.residual ? res(pass.resBase + w) : 0;
      let data = 0;
      for (let slot = 0; slot < pass.perWord; slot++) {
        const n = g * pass.perWord + slot;
        if (n >= pass.N) break;
        const addend = pass.residual ? element(rword, slot, pass.bits, pass.signed) : pass.zeroPoint;
        const code = outputCode(acc(m, n), params.bias[n], params.m0[n], params.shift[n], addend, pass.min, pass.max);
        data += (code & (2 ** pass.bits - 1)) * 2 ** (slot * pass.bits);
      }
      // The word leaves with the group of its last channel.
      const lastChannel = Math.min((g + 1) * pass.perWord, pass.N) - 1;
      writes.push({ cycle: m * J + Math.floor(lastChannel / cols) + OUTPUT_LATENCY, addr: pass.outBase + w, data: data >>> 0 });
    }
  }
  return writes;
}

/**
 * Packs codes [N][M] (channel-major, as the integer model returns them) into the pass word layout: word
 * m*G + g holds channels g*perWord .. of pixel m.
 */
export function packActivations(codes: ArrayLike<number>, M: number, N: number, bits: ElementBits, perWord: number): Uint32Array {
  const G = wordsPerPixel(N, perWord);
  const out = new Uint32Array(M * G);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    const w = m * G + Math.floor(n / perWord);
    out[w] = (out[w] + (codes[n * M + m] & (2 ** bits - 1)) * 2 ** ((n % perWord) * bits)) >>> 0;
  }
  return out;
}

/** The inverse of packActivations: codes [N][M]. */
export function unpackActivations(words: ArrayLike<number>, M: number, N: number, bits: ElementBits, perWord: number, signed: boolean): Int32Array {
  const G = wordsPerPixel(N, perWord);
  const out = new Int32Array(N * M);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[n * M + m] = element(words[m * G + Math.floor(n / perWord)], n % perWord, bits, signed);
  return out;
}

export function outputDescriptorLayout(p: RtlParams): DescField[] {
  const o = p.output;
  const widths: Array<[string, number]> = [
    ['m', p.countBits], ['n', o.chCountBits], ['m_stride', p.obuf.offsetBits], ['ob_half', 1], ['obuf_base', p.obuf.offsetBits],
    ['e_bits', 2], ['per_word', PER_WORD_BITS], ['o_signed', 1], ['zero_point', ZP_BITS], ['min', ZP_BITS], ['max', ZP_BITS], ['residual', 1],
    ['out_base', o.outAddrBits], ['res_base', o.resAddrBits],
  ];
  return packFields(widths);
}

export function outputDescriptorBits(p: RtlParams): number {
  const l = outputDescriptorLayout(p);
  return l[l.length - 1].lsb + l[l.length - 1].bits;
}

/** Checks a pass against the design's limits; returns the first problem or undefined. */
export function outputPassProblem(pass: OutputPass, p: RtlParams): string | undefined {
  const G = wordsPerPixel(pass.N, pass.perWord);
  const colTiles = Math.ceil(pass.N / p.cols);
  const lo = -(2 ** (ZP_BITS - 1));
  const hi = 2 ** (ZP_BITS - 1) - 1;
  if (pass.M < 1 || pass.M > p.obuf.tileDepth) return `M=${pass.M}: must be 1..${p.obuf.tileDepth}`;
  if (pass.N < 1 || pass.N > p.output.channels) return `N=${pass.N}: must be 1..${p.output.channels} (the channel tables)`;
  if (![2, 4, 8].includes(pass.bits)) return `element width ${pass.bits}: must be 2, 4 or 8`;
  if (!Number.isInteger(pass.perWord) || pass.perWord < 1 || pass.perWord * pass.bits > 32) {
    return `${pass.perWord} elements of ${pass.bits} bits do not fit a 32-bit word`;
  }
  const lastWord = pass.obufBase + (colTiles - 1) * pass.mStride + pass.M - 1;
  if (lastWord >= p.obuf.tileDepth) return `OBUF words up to ${lastWord} exceed the ${p.obuf.tileDepth}-word half`;
  if (pass.mStride < pass.M && colTiles > 1) return `mStride ${pass.mStride} is below M=${pass.M}: column tiles would overlap`;
  for (const [what, v] of [['zero point', pass.zeroPoint], ['min', pass.min], ['max', pass.max]] as const) {
    if (!Number.isInteger(v) || v < lo || v > hi) return `${what} ${v} does not fit ${ZP_BITS} bits signed (${lo}..${hi})`;
  }
  if (pass.min > pass.max) return `min ${pass.min} exceeds max ${pass.max}`;
  if (pass.outBase < 0 || pass.outBase + pass.M * G > 2 ** p.output.outAddrBits) {
    return `output words ${pass.outBase}..${pass.outBase + pass.M * G - 1} exceed ${p.output.outAddrBits} address bits`;
  }
  if (pass.residual && (pass.resBase < 0 || pass.resBase + pass.M * G > p.output.resDepth)) {
    return `residual words ${pass.resBase}..${pass.resBase + pass.M * G - 1} exceed the ${p.output.resDepth}-word residual buffer`;
  }
  return undefined;
}

export function packOutputDescriptor(pass: OutputPass, p: RtlParams): bigint {
  const problem = outputPassProblem(pass, p);
  if (problem) throw new RangeError(`output pass: ${problem}`);
  const tc = (v: number) => (v < 0 ? v + 2 ** ZP_BITS : v);
  const values: Record<string, number> = {
    // One column tile never steps by the stride (which may then be a whole OBUF half, one past the field).
    m: pass.M, n: pass.N, m_stride: pass.N > p.cols ? pass.mStride : 0, ob_half: p.obuf.doubleBuffered ? pass.obufHalf : 0, obuf_base: pass.obufBase,
    e_bits: widthCode(pass.bits), per_word: pass.perWord, o_signed: pass.signed ? 1 : 0,
    zero_point: tc(pass.zeroPoint), min: tc(pass.min), max: tc(pass.max), residual: pass.residual ? 1 : 0,
    out_base: pass.outBase, res_base: pass.residual ? pass.resBase : 0,
  };
  let v = 0n;
  for (const f of outputDescriptorLayout(p)) {
    const x = values[f.name];
    if (!Number.isInteger(x) || x < 0 || x >= 2 ** f.bits) throw new RangeError(`output descriptor field ${f.name} = ${x} does not fit ${f.bits} bits`);
    v |= BigInt(x) << BigInt(f.lsb);
  }
  return v;
}
