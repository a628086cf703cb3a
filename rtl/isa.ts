// The network program's binary form, what the sequencer fetches: each instruction is a header word (opcode in
// bits [7:0], payload words in [15:8], the wait mask in [19:16]: rtl/net-deps.ts; [31:20] zero) and its payload, the op's fields packed from bit 0 of the first payload
// word in the order listed below (signed fields two's complement). A tile's payload is the core's tile descriptor
// (rtl/descriptor.ts), an output's the output unit's pass descriptor (rtl/output-path.ts) and a rows payload the row
// table's entries, so the sequencer hands them on unchanged. decodeProgram is the inverse; running the
// decoded instructions (rtl/net-exec.ts) gives the same memory as running the compiled ones, which the tests check,
// so every field the hardware needs is in the words.
import type { FuWidth } from '../hw/fusion-unit.js';
import {
  type DescField, KW_BITS, descriptorLayout, gsBits, packDescriptor, packFields, packValues, rowTableBits, rowTableWord, unpackValues,
} from './descriptor.js';
import { waitMasks } from './net-deps.js';
import { type NetInstr, type ResidualRead, tileDescriptor } from './net-program.js';
import type { RtlParams } from './params.js';
import type { PackedTensor } from './window.js';
import { outputDescriptorLayout, packOutputDescriptor, unpackOutputDescriptor } from './output-path.js';
import { rtlMode } from './pack.js';

export const OPCODES: Record<NetInstr['op'], number> = {
  end: 0, tables: 1, 'load-input': 2, weights: 3, tile: 4, residual: 5, output: 6, store: 7, 'store-acc': 8, host: 9, rows: 10,
};

const ADDR = 32;
const DIM = 16;
const SMALL = 8;
const COUNT = 24;

const FIELDS: Record<Exclude<NetInstr['op'], 'rows' | 'tile' | 'output'>, Array<[string, number]>> = {
  end: [],
  tables: [['addr', ADDR], ['channels', DIM]],
  'load-input': [
    ['src', ADDR], ['in_h', DIM], ['in_w', DIM], ['gm', DIM], ['act_bits', 6], ['g0', DIM], ['oy0', DIM], ['ox0', DIM], ['stride_y', SMALL],
    ['stride_x', SMALL], ['pad_top', SMALL], ['pad_left', SMALL], ['th', DIM], ['tw', DIM], ['row_skip', DIM], ['gs', DIM], ['d', SMALL], ['half', 1],
    ['pad', 32],
  ],
  weights: [['addr', ADDR], ['words', COUNT], ['word_bits', 6], ['half', 1]],
  residual: [
    ['src', ADDR], ['src_w', DIM], ['g', DIM], ['stride_y', SMALL], ['stride_x', SMALL], ['oy0', DIM], ['ox0', DIM], ['rows', DIM], ['cols', DIM],
    ['word_lo', DIM], ['words', DIM],
  ],
  store: [['dst', ADDR], ['dst_w', DIM], ['g', DIM], ['oy0', DIM], ['ox0', DIM], ['rows', DIM], ['cols', DIM], ['word_lo', DIM], ['words', DIM]],
  'store-acc': [['addr', ADDR], ['half', 1], ['m', DIM], ['n', DIM], ['stride', DIM]],
  host: [['step', DIM]],
};

/**
 * The payload fields of each op, least significant first ('rows': one row table word per array row, row 0 first).
 * Only the tile and rows payloads depend on the design (`p`); the others are the same for every design.
 */
export function instrLayout(op: NetInstr['op'], p?: RtlParams): DescField[] {
  if (op === 'tile') return descriptorLayout(designOf(p, op));
  if (op === 'output') return outputDescriptorLayout(designOf(p, op));
  if (op === 'rows') return packFields(Array.from({ length: designOf(p, op).rows }, (_, r): [string, number] => [`row${r}`, rowTableBits(p!)]));
  return packFields(FIELDS[op]);
}

const WIDTHS: FuWidth[] = [2, 4, 8];
const wordsOf = (t: { c: number; format: { perWord: number } }) => Math.ceil(t.c / t.format.perWord);

/** The payload values of one instruction. */
function instrValues(ins: NetInstr, p?: RtlParams): Record<string, number> {
  switch (ins.op) {
    case 'end': return {};
    case 'tables': return { addr: ins.addr, channels: ins.channels };
    case 'load-input': {
      const w = ins.window;
      return {
        src: ins.src.base, in_h: w.inH, in_w: w.inW, gm: wordsOf(ins.src), act_bits: ins.actBits, g0: ins.g0, oy0: ins.block.oy0, ox0: ins.block.ox0, stride_y: w.strideY,
        stride_x: w.strideX, pad_top: w.padTop, pad_left: w.padLeft, th: ins.input.th, tw: ins.input.tw,
        row_skip: (ins.input.pitch - ins.input.tw) * (ins.input.gs / ins.input.d), gs: ins.input.gs, d: ins.input.d,
        half: ins.half, pad: ins.pad >>> 0,
      };
    }
    case 'weights': return { addr: ins.addr, words: ins.words, word_bits: ins.wordBits, half: ins.half };
    case 'rows': return Object.fromEntries(ins.starts.map((x, r) => [`row${r}`, Number(rowTableWord(x, designOf(p, 'rows')))]));
    case 'tile': return unpackValues(descriptorLayout(designOf(p, 'tile')), packDescriptor(tileDescriptor(ins.tile), designOf(p, 'tile')));
    case 'residual': {
      const r = ins.read;
      const b = ins.block;
      return {
        src: r.src.base, src_w: r.src.w, g: wordsOf(r.src), stride_y: r.strideY, stride_x: r.strideX, oy0: b.oy0, ox0: b.ox0, rows: b.rows,
        cols: b.cols, word_lo: ins.wordLo, words: ins.words,
      };
    }
    case 'output': return unpackValues(outputDescriptorLayout(designOf(p, 'output')), packOutputDescriptor(ins.pass, designOf(p, 'output')));
    case 'store': {
      const b = ins.block;
      return {
        dst: ins.dst.base, dst_w: ins.dst.w, g: wordsOf(ins.dst), oy0: b.oy0, ox0: b.ox0, rows: b.rows, cols: b.cols, word_lo: ins.wordLo, words: ins.words,
      };
    }
    case 'store-acc': return { addr: ins.addr, half: ins.half, m: ins.M, n: ins.N, stride: ins.stride };
    case 'host': return { step: ins.step };
  }
}

function designOf(p: RtlParams | undefined, op: string): RtlParams {
  if (!p) throw new Error(`internal: the ${op} payload depends on the design`);
  return p;
}

/** Header bits of the wait mask: the engines that must be idle before the instruction issues. */
export const MASK_LSB = 16;
export const MASK_BITS = 4;

/**
 * The instruction stream as words for the design `p` (needed when the program has tile or rows instructions),
 * each header with its wait mask (waitMasks of the stream unless `masks` says otherwise).
 */
export function encodeProgram(instrs: readonly NetInstr[], p?: RtlParams, masks: readonly number[] = waitMasks(instrs)): Uint32Array {
  const out: number[] = [];
  for (const [k, ins] of instrs.entries()) {
    const layout = instrLayout(ins.op, p);
    const bits = layout.length ? layout[layout.length - 1].lsb + layout[layout.length - 1].bits : 0;
    const n = Math.ceil(bits / 32);
    out.push((OPCODES[ins.op] | (n << 8) | ((masks[k] & ((1 << MASK_BITS) - 1)) << MASK_LSB)) >>> 0);
    const v = packValues(layout, instrValues(ins, p), `instruction ${ins.op}`);
    for (let i = 0; i < n; i++) out.push(Number((v >> BigInt(32 * i)) & 0xffffffffn));
  }
  return Uint32Array.from(out);
}

/** The wait mask of each instruction of an encoded program. */
export function decodeMasks(words: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < words.length; i += 1 + ((words[i] >>> 8) & 0xff)) out.push((words[i] >>> MASK_LSB) & ((1 << MASK_BITS) - 1));
  return out;
}

/** A tensor as far as an instruction describes it: base, width and words per pixel (as c channels of one code a word). */
function tensorRef(base: number, w: number, g: number, format: PackedTensor['format'] = { bits: 8, perWord: 1, signed: false }, c = g): PackedTensor {
  return { base, c, h: 0, w, format };
}

/** The inverse of encodeProgram: the instructions as the executor takes them (tensors carry only what the op reads). */
export function decodeProgram(words: Uint32Array, p?: RtlParams): NetInstr[] {
  const ops = new Map(Object.entries(OPCODES).map(([k, v]) => [v, k as NetInstr['op']]));
  const out: NetInstr[] = [];
  for (let i = 0; i < words.length;) {
    const op = ops.get(words[i] & 0xff);
    if (op === undefined) throw new RangeError(`word ${i}: opcode ${words[i] & 0xff} is not one of ${[...ops.keys()].join(', ')}`);
    const n = (words[i] >>> 8) & 0xff;
    if (i + n >= words.length + (n === 0 ? 1 : 0)) throw new RangeError(`word ${i}: instruction ${op} has ${n} payload words, the program ends first`);
    let v = 0n;
    for (let k = n - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[i + 1 + k]);
    const f = unpackValues(instrLayout(op, p), v);
    i += 1 + n;
    const block = { oy0: f.oy0, ox0: f.ox0, rows: f.rows, cols: f.cols };
    switch (op) {
      case 'end': out.push({ op }); break;
      case 'tables': out.push({ op, layer: '', addr: f.addr, channels: f.channels }); break;
      case 'load-input':
        out.push({
          op, src: tensorRef(f.src, f.in_w, f.gm), block: { ...block, rows: 0, cols: 0 }, g0: f.g0, actBits: f.act_bits, half: f.half as 0 | 1, pad: f.pad,
          input: { th: f.th, tw: f.tw, pitch: f.tw + (f.gs ? f.row_skip / (f.gs / f.d) : 0), gs: f.gs, d: f.d },
          window: {
            inH: f.in_h, inW: f.in_w, outH: 0, outW: 0, kh: 0, kw: 0, strideY: f.stride_y, strideX: f.stride_x, padTop: f.pad_top, padLeft: f.pad_left,
            dilY: 0, dilX: 0, G: 0,
          },
        });
        break;
      case 'weights': out.push({ op, addr: f.addr, words: f.words, wordBits: f.word_bits, half: f.half as 0 | 1 }); break;
      case 'rows': {
        const d = designOf(p, op);
        const g = gsBits(d);
        const field = (x: number, lsb: number, bits: number) => Math.floor(x / 2 ** lsb) % 2 ** bits;
        out.push({ op, starts: Array.from({ length: d.rows }, (_, r) => ({ kx: field(f[`row${r}`], 0, KW_BITS), g: field(f[`row${r}`], KW_BITS, g),
          off: field(f[`row${r}`], KW_BITS + g, d.ibuf.offsetBits) })) });
        break;
      }
      case 'tile':
        out.push({
          op, tile: {
            mode: rtlMode(WIDTHS[f.a_bits], WIDTHS[f.w_bits]), aSigned: f.a_signed === 1, wSigned: f.w_signed === 1, M: f.m, S: f.s,
            walk: { blockCols: f.block_cols, pixX: f.pix_x, pixY: f.pix_y, gs: f.gs, kw: f.kw, dg: f.dg, dkx: f.dkx, step: f.step, cg: f.cg, cx: f.cx },
            ibHalf: f.half as 0 | 1, wbHalf: f.wb_half as 0 | 1, obHalf: f.ob_half as 0 | 1, obufBase: f.obuf_base, accumulate: f.acc === 1,
          },
        });
        break;
      case 'residual':
        out.push({ op, read: { ...emptyRead(), src: tensorRef(f.src, f.src_w, f.g), strideY: f.stride_y, strideX: f.stride_x }, block, wordLo: f.word_lo, words: f.words });
        break;
      case 'output': out.push({ op, pass: unpackOutputDescriptor(v, designOf(p, op)) }); break;
      case 'store': out.push({ op, dst: tensorRef(f.dst, f.dst_w, f.g), block, wordLo: f.word_lo, words: f.words }); break;
      case 'store-acc': out.push({ op, addr: f.addr, half: f.half as 0 | 1, M: f.m, N: f.n, stride: f.stride }); break;
      case 'host': out.push({ op, step: f.step }); break;
    }
  }
  return out;
}

function emptyRead(): Omit<ResidualRead, 'src' | 'strideY' | 'strideX'> {
  return { channelOffset: 0, zeroPoint: 0, rescale: null, outZeroPoint: 0, min: 0, max: 0 };
}
