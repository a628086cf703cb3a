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
// Channel base: a pass may cover output channels chBase .. chBase + N - 1 of a layer (a channel slice); the
// per-channel tables hold all the layer's channels and lane c of group j reads entry chBase + j*COLS + c. The
// output words pack the pass's own channels 0 .. N - 1 as above.
//
// Residual add: the residual buffer holds, per pixel m of the pass, `words` raw words of the residual SOURCE
// tensor (its own element width, codes per word and sign), starting at the source's word wordLo, at buffer word
// resBase + m*words + i (loaded by the host one word at a time). Output channel n (global chBase + n) reads source
// channel cs = chBase + n - channelOffset: slot cs % perWord of buffer word m*words + floor(cs / perWord) - wordLo
// when 0 <= cs < the source's channels, else the source's zero point (option A: channels outside the source's).
// With a rescale the code goes onto the output grid, requantize(raw - zeroPoint, m0, shift, outZeroPoint, min,
// max), the TF-Lite fixed-point multiplier the lanes apply to the accumulators. The result (residualCode below)
// takes the output zero point's place: two tensors of one scale and zero point zp add as (q1 - zp) + (q2 - zp) + zp,
// so code = clamp(MultiplyByQuantizedMultiplier(acc) + residual). A pass without residualRead reads residual words
// in its own output layout (the source format the output's, N channels, no offset, wordLo 0, G words a pixel).
//
// Descriptor fields (least significant first): m, n, m_stride, ob_half, obuf_base, e_bits (width code of
// the output element), per_word, zero_point, min, max (ZP_W-bit two's complement),
// residual, out_base, res_base, ch_base, then the residual lane: res_bits, res_per_word, res_signed, res_c0 (the
// source channel of local channel 0, chBase - channelOffset, signed), res_c (source channels, clamped to the ones
// the pass can reach), res_zp, rescale, res_m0, res_shift, res_out_zp, res_min, res_max, res_words (buffer words a
// pixel, modulo the buffer size), and lane 0's first source word and slot: res_word0 = floor(res_c0 / res_per_word)
// - wordLo (modulo the buffer size) and res_slot0 = res_c0 mod res_per_word, which the unit advances by COLS
// channels a group without dividing.
import { type QuantizedMultiplier, requantize } from '../src/intmodel/requant.js';
import { widthCode } from './pack.js';
import { RtlParams } from './params.js';
import { type DescField, packFields, packValues, unpackValues } from './descriptor.js';

/** Bits of the zero point and clamp bounds: every code of an 8-bit operand, signed or not (-128 .. 255). */
export const ZP_BITS = 9;
/** Output unit pipeline: group i's OBUF read is in pass cycle i, the words it completes are written in i + OUTPUT_LATENCY. */
export const OUTPUT_LATENCY = 6;
/** Width of the per-word element count (per_word is 1 .. 16). */
export const PER_WORD_BITS = 5;
/** Bits of a requantization shift: -31 .. 30 (src/intmodel/requant.ts quantizeMultiplier). */
export const SHIFT_BITS = 6;

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
  /** The pass's first output channel in the layer (the tables' entry of channel 0); default 0. */
  chBase?: number;
  /** How the residual buffer's words are read; default the output's own layout (see the file comment). */
  residualRead?: ResidualLane;
}

/** The residual operand of a pass: the source tensor's words in the residual buffer and their way onto the output grid. */
export interface ResidualLane {
  /** The source tensor: its channels and word format. */
  src: { c: number; format: { bits: ElementBits; perWord: number; signed: boolean } };
  /** Output channel n reads source channel n - channelOffset; outside 0 .. src.c - 1 the source's zero point. */
  channelOffset: number;
  zeroPoint: number;
  /** Onto the output grid (null: the codes are added as they are), clamped to min .. max. */
  rescale: QuantizedMultiplier | null;
  outZeroPoint: number;
  min: number;
  max: number;
  /** The buffer holds `words` words a pixel, from the source pixel's word wordLo. */
  wordLo: number;
  words: number;
}

/** The residual lane a pass uses: its own, or residual words in the output's layout. */
export function residualLaneOf(pass: OutputPass): ResidualLane {
  return pass.residualRead ?? {
    src: { c: pass.N, format: { bits: pass.bits, perWord: pass.perWord, signed: pass.signed } }, channelOffset: 0, zeroPoint: pass.zeroPoint,
    rescale: null, outZeroPoint: pass.zeroPoint, min: pass.min, max: pass.max, wordLo: 0, words: wordsPerPixel(pass.N, pass.perWord),
  };
}

/** The addend of pixel m, layer channel ch (chBase + n): the raw source code (or its zero point), rescaled when asked; `word(i)` is buffer word i of the pass. */
export function residualCode(r: ResidualLane, word: (i: number) => number, m: number, ch: number): number {
  const f = r.src.format;
  const cs = ch - r.channelOffset;
  const raw = cs >= 0 && cs < r.src.c ? element(word(m * r.words + Math.floor(cs / f.perWord) - r.wordLo), cs % f.perWord, f.bits, f.signed) : r.zeroPoint;
  return r.rescale ? requantize(raw - r.zeroPoint, r.rescale.m0, r.rescale.shift, r.outZeroPoint, r.min, r.max) : raw;
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
 * `acc(m, n)` is the accumulator of pixel m, pass channel n; `params` the layer's tables (entry chBase + n);
 * `res(addr)` the residual buffer word at addr.
 */
export function runOutputPass(
  pass: OutputPass, cols: number, params: ChannelParams, acc: (m: number, n: number) => number, res: (addr: number) => number = () => 0,
): OutputWrite[] {
  const G = wordsPerPixel(pass.N, pass.perWord);
  const J = groupsPerPixel(pass.N, cols);
  const ch0 = pass.chBase ?? 0;
  const lane = residualLaneOf(pass);
  const word = (i: number) => res(pass.resBase + i);
  const writes: OutputWrite[] = [];
  for (let m = 0; m < pass.M; m++) {
    for (let g = 0; g < G; g++) {
      let data = 0;
      for (let slot = 0; slot < pass.perWord; slot++) {
        const n = g * pass.perWord + slot;
        if (n >= pass.N) break;
        const ch = ch0 + n;
        const addend = pass.residual ? residualCode(lane, word, m, ch) : pass.zeroPoint;
        const code = outputCode(acc(m, n), params.bias[ch], params.m0[ch], params.shift[ch], addend, pass.min, pass.max);
        data += (code & (2 ** pass.bits - 1)) * 2 ** (slot * pass.bits);
      }
      // The word leaves with the group of its last channel.
      const lastChannel = Math.min((g + 1) * pass.perWord, pass.N) - 1;
      writes.push({ cycle: m * J + Math.floor(lastChannel / cols) + OUTPUT_LATENCY, addr: pass.outBase + m * G + g, data: data >>> 0 });
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
    ['e_bits', 2], ['per_word', PER_WORD_BITS], ['zero_point', ZP_BITS], ['min', ZP_BITS], ['max', ZP_BITS], ['residual', 1],
    ['out_base', o.outAddrBits], ['res_base', o.resAddrBits], ['ch_base', o.chAddrBits],
    ['res_bits', 2], ['res_per_word', PER_WORD_BITS], ['res_signed', 1], ['res_c0', o.chCountBits + 1], ['res_c', o.chCountBits + 1], ['res_zp', ZP_BITS],
    ['rescale', 1], ['res_m0', 32], ['res_shift', SHIFT_BITS], ['res_out_zp', ZP_BITS], ['res_min', ZP_BITS], ['res_max', ZP_BITS],
    ['res_words', o.resAddrBits], ['res_word0', o.resAddrBits], ['res_slot0', PER_WORD_BITS],
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
  const chBase = pass.chBase ?? 0;
  if (!Number.isInteger(chBase) || chBase < 0 || chBase + pass.N > p.output.channels) {
    return `channels ${chBase}..${chBase + pass.N - 1} exceed the ${p.output.channels}-entry channel tables`;
  }
  return pass.residual ? residualProblem(pass, residualLaneOf(pass), p) : undefined;
}

/** The residual lane's fields against the design's limits. */
function residualProblem(pass: OutputPass, r: ResidualLane, p: RtlParams): string | undefined {
  const lo = -(2 ** (ZP_BITS - 1));
  const hi = 2 ** (ZP_BITS - 1) - 1;
  const f = r.src.format;
  if (![2, 4, 8].includes(f.bits) || !Number.isInteger(f.perWord) || f.perWord < 1 || f.perWord * f.bits > 32) {
    return `residual words of ${f.perWord} elements of ${f.bits} bits: not a 2-, 4- or 8-bit code format of a 32-bit word`;
  }
  const cs0 = (pass.chBase ?? 0) - r.channelOffset;
  const csMax = 2 ** p.output.chCountBits;
  if (!Number.isInteger(r.channelOffset) || cs0 < -csMax || cs0 >= csMax) return `residual channel offset ${r.channelOffset}: source channel ${cs0} of channel 0 is outside ±${csMax}`;
  if (!Number.isInteger(r.src.c) || r.src.c < 0) return `residual source channels ${r.src.c}`;
  for (const [what, v] of [['residual zero point', r.zeroPoint], ['residual output zero point', r.outZeroPoint], ['residual min', r.min], ['residual max', r.max]] as const) {
    if (!Number.isInteger(v) || v < lo || v > hi) return `${what} ${v} does not fit ${ZP_BITS} bits signed (${lo}..${hi})`;
  }
  if (r.min > r.max) return `residual min ${r.min} exceeds max ${r.max}`;
  if (r.rescale) {
    const { m0, shift } = r.rescale;
    if (!Number.isInteger(m0) || m0 < -(2 ** 31) || m0 >= 2 ** 31) return `residual M0 ${m0} is not an int32`;
    if (!Number.isInteger(shift) || shift < -31 || shift > 30) return `residual shift ${shift}: must be -31..30`;
  }
  if (!Number.isInteger(r.words) || !Number.isInteger(r.wordLo) || r.words < 0 || r.wordLo < 0) return `residual words ${r.words} from ${r.wordLo}`;
  if (pass.resBase < 0 || pass.resBase + pass.M * r.words > p.output.resDepth) {
    return `residual words ${pass.resBase}..${pass.resBase + pass.M * r.words - 1} exceed the ${p.output.resDepth}-word residual buffer`;
  }
  // The source channels the pass reaches must lie in the words the buffer holds.
  const first = Math.max(0, cs0);
  const last = Math.min(r.src.c, cs0 + pass.N) - 1;
  if (last >= first && (Math.floor(first / f.perWord) < r.wordLo || Math.floor(last / f.perWord) >= r.wordLo + r.words)) {
    return `residual source channels ${first}..${last} are outside the buffer's words ${r.wordLo}..${r.wordLo + r.words - 1} of a pixel`;
  }
  return undefined;
}

export function packOutputDescriptor(pass: OutputPass, p: RtlParams): bigint {
  const problem = outputPassProblem(pass, p);
  if (problem) throw new RangeError(`output pass: ${problem}`);
  const tc = (v: number, bits = ZP_BITS) => (v < 0 ? v + 2 ** bits : v);
  const chBase = pass.chBase ?? 0;
  const values: Record<string, number> = {
    // One column tile never steps by the stride (which may then be a whole OBUF half, one past the field).
    m: pass.M, n: pass.N, m_stride: pass.N > p.cols ? pass.mStride : 0, ob_half: p.obuf.doubleBuffered ? pass.obufHalf : 0, obuf_base: pass.obufBase,
    e_bits: widthCode(pass.bits), per_word: pass.perWord,
    zero_point: tc(pass.zeroPoint), min: tc(pass.min), max: tc(pass.max), residual: pass.residual ? 1 : 0,
    out_base: pass.outBase, res_base: pass.residual ? pass.resBase : 0, ch_base: chBase,
  };
  const names = outputDescriptorLayout(p).map((f) => f.name);
  for (const n of names.slice(names.indexOf('res_bits'))) values[n] = 0;
  if (pass.residual) {
    const r = residualLaneOf(pass);
    const f = r.src.format;
    const cs0 = chBase - r.channelOffset;
    const wrap = 2 ** p.output.resAddrBits;
    const mod = (v: number, k: number) => ((v % k) + k) % k;
    Object.assign(values, {
      res_bits: widthCode(f.bits), res_per_word: f.perWord, res_signed: f.signed ? 1 : 0, res_c0: tc(cs0, p.output.chCountBits + 1),
      // Channels past the last the pass reaches change nothing; the clamp keeps the field a channel count.
      res_c: Math.min(r.src.c, Math.max(0, cs0 + pass.N)), res_zp: tc(r.zeroPoint), rescale: r.rescale ? 1 : 0,
      res_m0: r.rescale ? r.rescale.m0 >>> 0 : 0, res_shift: r.rescale ? tc(r.rescale.shift, SHIFT_BITS) : 0, res_out_zp: tc(r.outZeroPoint),
      res_min: tc(r.min), res_max: tc(r.max), res_words: mod(r.words, wrap), res_word0: mod(Math.floor(cs0 / f.perWord) - r.wordLo, wrap),
      res_slot0: mod(cs0, f.perWord),
    });
  }
  return packValues(outputDescriptorLayout(p), values, 'output descriptor');
}

/**
 * The pass a descriptor runs (the inverse of packOutputDescriptor as far as the unit reads it: the output's sign
 * is not in the descriptor, the codes are packed by their bits alone).
 */
export function unpackOutputDescriptor(v: bigint, p: RtlParams): OutputPass {
  const f = unpackValues(outputDescriptorLayout(p), v);
  const sx = (x: number, bits = ZP_BITS) => (x >= 2 ** (bits - 1) ? x - 2 ** bits : x);
  const widths: ElementBits[] = [2, 4, 8];
  const pass: OutputPass = {
    M: f.m, N: f.n, mStride: f.m_stride, obufHalf: f.ob_half as 0 | 1, obufBase: f.obuf_base, bits: widths[f.e_bits], perWord: f.per_word,
    signed: false, zeroPoint: sx(f.zero_point), min: sx(f.min), max: sx(f.max), residual: f.residual === 1, outBase: f.out_base,
    resBase: f.res_base, chBase: f.ch_base,
  };
  if (pass.residual) {
    const wrap = 2 ** p.output.resAddrBits;
    const cs0 = sx(f.res_c0, p.output.chCountBits + 1);
    const wordLo = (((Math.floor(cs0 / f.res_per_word) - f.res_word0) % wrap) + wrap) % wrap;
    pass.residualRead = {
      src: { c: f.res_c, format: { bits: widths[f.res_bits], perWord: f.res_per_word, signed: f.res_signed === 1 } }, channelOffset: f.ch_base - cs0,
      zeroPoint: sx(f.res_zp), rescale: f.rescale === 1 ? { m0: f.res_m0 | 0, shift: sx(f.res_shift, SHIFT_BITS) } : null, outZeroPoint: sx(f.res_out_zp),
      min: sx(f.res_min), max: sx(f.res_max), wordLo, words: f.res_words,
    };
  }
  return pass;
}
