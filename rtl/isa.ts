// The network program's binary form, what the sequencer fetches: each instruction is a header word (opcode in
// bits [7:0], payload words in [15:8]) and its payload, the op's fields packed from bit 0 of the first payload
// word in the order listed below. The tile and output descriptors are the core's own (rtl/descriptor.ts,
// rtl/output-path.ts), so the sequencer hands them on unchanged. decodeProgram is the inverse; running the decoded
// instructions (rtl/net-exec.ts) gives the same memory as running the compiled ones, which the tests check.
import type { FuWidth } from '../hw/fusion-unit.js';
import { type DescField, type TileDescriptor, descriptorLayout, packFields, packValues, unpackValues } from './descriptor.js';
import type { NetInstr, ResidualRead } from './net-program.js';
import { type ElementBits, type OutputPass, ZP_BITS, outputDescriptorLayout } from './output-path.js';
import { rtlMode, widthCode } from './pack.js';
import type { RtlParams } from './params.js';

export const OPCODES: Record<NetInstr['op'], number> = {
  end: 0, tables: 1, weights: 2, gather: 3, tile: 4, residual: 5, output: 6, store: 7, 'store-acc': 8, host: 9,
};

const ADDR = 32;
const DIM = 16;
const SMALL = 8;
const COUNT = 24;

/** The payload fields of each op, least significant first. */
export function instrLayout(op: NetInstr['op'], p: RtlParams): DescField[] {
  const desc = (l: DescField[], prefix: string): Array<[string, number]> => l.map((f) => [`${prefix}${f.name}`, f.bits]);
  const fields: Record<NetInstr['op'], Array<[string, number]>> = {
    end: [],
    tables: [['addr', ADDR], ['channels', DIM]],
    weights: [['addr', ADDR], ['words', COUNT], ['half', 1]],
    gather: [
      ['src', ADDR], ['in_h', DIM], ['in_w', DIM], ['out_w', DIM], ['kh', SMALL], ['kw', SMALL], ['stride_y', SMALL], ['stride_x', SMALL],
      ['pad_top', SMALL], ['pad_left', SMALL], ['dil_y', SMALL], ['dil_x', SMALL], ['g', DIM], ['m0', COUNT], ['m', DIM], ['s0', DIM], ['s', DIM],
      ['half', 1], ['pad', 32],
    ],
    tile: desc(descriptorLayout(p), ''),
    residual: [['src', ADDR], ['src_w', DIM], ['g', DIM], ['stride_y', SMALL], ['stride_x', SMALL], ['out_w', DIM], ['m0', COUNT], ['m', DIM]],
    output: [
      ...desc(outputDescriptorLayout(p), ''), ['res_bits', 2], ['res_per_word', 5], ['res_signed', 1], ['res_c', DIM], ['res_offset', DIM],
      ['res_zp', ZP_BITS], ['rescale', 1], ['res_m0', 32], ['res_shift', 6], ['res_out_zp', ZP_BITS], ['res_min', ZP_BITS], ['res_max', ZP_BITS],
    ],
    store: [['addr', ADDR], ['words', COUNT]],
    'store-acc': [['addr', ADDR], ['half', 1], ['base', DIM], ['m_stride', DIM], ['m', DIM], ['n', DIM]],
    host: [['step', DIM]],
  };
  return packFields(fields[op]);
}

const tc = (v: number, bits: number) => (v < 0 ? v + 2 ** bits : v);
const fromTc = (v: number, bits: number) => (v >= 2 ** (bits - 1) ? v - 2 ** bits : v);
const WIDTHS: FuWidth[] = [2, 4, 8];

function residualFields(r: ResidualRead | null): Record<string, number> {
  if (!r) {
    return { res_bits: 0, res_per_word: 0, res_signed: 0, res_c: 0, res_offset: 0, res_zp: 0, rescale: 0, res_m0: 0, res_shift: 0, res_out_zp: 0, res_min: 0, res_max: 0 };
  }
  return {
    res_bits: widthCode(r.src.format.bits), res_per_word: r.src.format.perWord, res_signed: r.src.format.signed ? 1 : 0, res_c: r.src.c,
    res_offset: r.channelOffset, res_zp: tc(r.zeroPoint, ZP_BITS), rescale: r.rescale ? 1 : 0, res_m0: r.rescale ? r.rescale.m0 >>> 0 : 0,
    res_shift: r.rescale ? tc(r.rescale.shift, 6) : 0, res_out_zp: tc(r.outZeroPoint, ZP_BITS), res_min: tc(r.min, ZP_BITS), res_max: tc(r.max, ZP_BITS),
  };
}

/** The payload values of one instruction (descriptors unpacked into their fields). */
function instrValues(ins: NetInstr, p: RtlParams): Record<string, number> {
  switch (ins.op) {
    case 'end': return {};
    case 'tables': return { addr: ins.addr, channels: ins.channels };
    case 'weights': return { addr: ins.addr, words: ins.words, half: ins.half };
    case 'gather': {
      const w = ins.window;
      return {
        src: ins.src.base, in_h: w.inH, in_w: w.inW, out_w: w.outW, kh: w.kh, kw: w.kw, stride_y: w.strideY, stride_x: w.strideX, pad_top: w.padTop,
        pad_left: w.padLeft, dil_y: w.dilY, dil_x: w.dilX, g: w.G, m0: ins.m0, m: ins.M, s0: ins.s0, s: ins.S, half: ins.half, pad: ins.pad >>> 0,
      };
    }
    case 'tile': return unpackValues(descriptorLayout(p), ins.packed);
    case 'residual': {
      const r = ins.read;
      const g = Math.ceil(r.src.c / r.src.format.perWord);
      return { src: r.src.base, src_w: r.src.w, g, stride_y: r.strideY, stride_x: r.strideX, out_w: ins.outW, m0: ins.m0, m: ins.M };
    }
    case 'output': return { ...unpackValues(outputDescriptorLayout(p), ins.packed), ...residualFields(ins.residual) };
    case 'store': return { addr: ins.addr, words: ins.words };
    case 'store-acc': return { addr: ins.addr, half: ins.half, base: ins.base, m_stride: ins.mStride, m: ins.M, n: ins.N };
    case 'host': return { step: ins.step };
  }
}

/** The instruction stream as words. */
export function encodeProgram(instrs: readonly NetInstr[], p: RtlParams): Uint32Array {
  const out: number[] = [];
  for (const ins of instrs) {
    const layout = instrLayout(ins.op, p);
    const bits = layout.length ? layout[layout.length - 1].lsb + layout[layout.length - 1].bits : 0;
    const n = Math.ceil(bits / 32);
    if (n > 255) throw new RangeError(`instruction ${ins.op} needs ${n} payload words; the header holds 255`);
    out.push(OPCODES[ins.op] | (n << 8));
    const v = packValues(layout, instrValues(ins, p), `instruction ${ins.op}`);
    for (let i = 0; i < n; i++) out.push(Number((v >> BigInt(32 * i)) & 0xffffffffn));
  }
  return Uint32Array.from(out);
}

/** The inverse of encodeProgram: the instructions as the executor takes them (tensors carry only what the op reads). */
export function decodeProgram(words: Uint32Array, p: RtlParams): NetInstr[] {
  const ops = new Map(Object.entries(OPCODES).map(([k, v]) => [v, k as NetInstr['op']]));
  const out: NetInstr[] = [];
  let pendingResidual: { base: number; w: number } | null = null;
  for (let i = 0; i < words.length;) {
    const op = ops.get(words[i] & 0xff);
    if (op === undefined) throw new RangeError(`word ${i}: opcode ${words[i] & 0xff} is not one of ${[...ops.keys()].join(', ')}`);
    const n = (words[i] >>> 8) & 0xff;
    let v = 0n;
    for (let k = n - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[i + 1 + k]);
    const f = unpackValues(instrLayout(op, p), v);
    i += 1 + n;
    const src = (base: number, c = 0, w = 0, bits: ElementBits = 8, perWord = 1, signed = false) =>
      ({ base, c, h: 0, w, format: { bits, perWord, signed } });
    switch (op) {
      case 'end': out.push({ op }); break;
      case 'tables': out.push({ op, layer: '', addr: f.addr, channels: f.channels }); break;
      case 'weights': out.push({ op, addr: f.addr, words: f.words, half: f.half as 0 | 1 }); break;
      case 'gather': out.push({
        op, src: src(f.src), m0: f.m0, M: f.m, s0: f.s0, S: f.s, half: f.half as 0 | 1, pad: f.pad,
        window: {
          inH: f.in_h, inW: f.in_w, outH: 0, outW: f.out_w, kh: f.kh, kw: f.kw, strideY: f.stride_y, strideX: f.stride_x,
          padTop: f.pad_top, padLeft: f.pad_left, dilY: f.dil_y, dilX: f.dil_x, G: f.g,
        },
      });
        break;
      case 'tile': {
        const d: TileDescriptor = {
          mode: rtlMode(WIDTHS[f.a_bits], WIDTHS[f.w_bits]), aSigned: f.a_signed === 1, wSigned: f.w_signed === 1, half: f.half as 0 | 1,
          M: f.m, S: f.s, ibufBase: f.ibuf_base, wbufBase: f.wbuf_base, obufBase: f.obuf_base, accumulate: f.acc === 1, obufHalf: f.ob_half as 0 | 1,
        };
        out.push({ op, descriptor: d, packed: v });
        break;
      }
      case 'residual':
        // The source's channels and format travel with the output pass that reads the buffer.
        pendingResidual = { base: f.src, w: f.src_w };
        out.push({
          op, m0: f.m0, M: f.m, outW: f.out_w,
          read: { ...emptyRead(), src: { ...src(f.src, f.g, f.src_w), format: { bits: 8, perWord: 1, signed: false } }, strideY: f.stride_y, strideX: f.stride_x },
        });
        break;
      case 'output': {
        const pass: OutputPass = {
          M: f.m, N: f.n, mStride: f.m_stride, obufHalf: f.ob_half as 0 | 1, obufBase: f.obuf_base, bits: WIDTHS[f.e_bits] as ElementBits,
          perWord: f.per_word, signed: f.o_signed === 1, zeroPoint: fromTc(f.zero_point, ZP_BITS), min: fromTc(f.min, ZP_BITS), max: fromTc(f.max, ZP_BITS),
          residual: f.residual === 1, outBase: f.out_base, resBase: f.res_base,
        };
        const residual: ResidualRead | null = f.residual !== 1 ? null : {
          src: src(pendingResidual?.base ?? 0, f.res_c, pendingResidual?.w ?? 0, WIDTHS[f.res_bits] as ElementBits, f.res_per_word, f.res_signed === 1),
          strideY: 0, strideX: 0, channelOffset: f.res_offset, zeroPoint: fromTc(f.res_zp, ZP_BITS),
          rescale: f.rescale === 1 ? { m0: f.res_m0 | 0, shift: fromTc(f.res_shift, 6) } : null,
          outZeroPoint: fromTc(f.res_out_zp, ZP_BITS), min: fromTc(f.res_min, ZP_BITS), max: fromTc(f.res_max, ZP_BITS),
        };
        out.push({ op, pass, packed: packValues(outputDescriptorLayout(p), f, 'output descriptor'), residual });
        break;
      }
      case 'store': out.push({ op, addr: f.addr, words: f.words }); break;
      case 'store-acc': out.push({ op, addr: f.addr, half: f.half as 0 | 1, base: f.base, mStride: f.m_stride, M: f.m, N: f.n }); break;
      case 'host': out.push({ op, step: f.step }); break;
    }
  }
  return out;
}

function emptyRead(): Omit<ResidualRead, 'src' | 'strideY' | 'strideX'> {
  return { channelOffset: 0, zeroPoint: 0, rescale: null, outZeroPoint: 0, min: 0, max: 0 };
}
