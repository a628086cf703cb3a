// The tile descriptor: what the controller needs to run one tile, packed into one word that the host writes
// with `start`. Fields, least significant first (widths from the generated design's parameters):
//
//   a_bits    2        activation width code (0: 2, 1: 4, 2: 8 bits)
//   w_bits    2        weight width code
//   a_signed  1
//   w_signed  1
//   half      1        buffer half the tile reads (IBUF, WBUF); ignored by a buffer that is not
//                      double-buffered. The host fills the other half meanwhile.
//   m         countBits  output pixels M (1 .. IBUF half depth)
//   s         countBits  reduction steps S (1 .. maxSteps)
//   ibuf_base ibuf.offsetBits  IBUF word of (m = 0, s = 0) inside the half; word t = m*S + s at base + t
//   wbuf_base wbuf.offsetBits  WBUF word of step 0 inside the half; step s at base + s, every bank
//   obuf_base obuf.offsetBits  OBUF word of output m = 0 inside the half; output m at base + m, bank = column
//   acc       1        continuation: each output starts from the partial sum OBUF holds at its slot (the
//                      previous tile of a split reduction wrote it) instead of zero
//   ob_half   1        OBUF half of the tile: a split reduction keeps its partial sums in one OBUF half while
//                      its tiles alternate the IBUF and WBUF halves
//   wb_half   1        WBUF half (a network program reuses one IBUF half over several weight tiles)
//   block_cols .. cx   the rows' window walk over the IBUF tile (rtl/window.ts WindowSteps): output pixels per
//                      block row, the pixel base's steps, the channel words per pixel gs, the kernel width kw,
//                      each step's digit increments dg and dkx and the bank offset's step and carry corrections.
//                      Without a walk the tile reads im2col words: word t = m*S + s of every bank, which is the
//                      walk over M pixels of S*ROWS words with a 1x1 kernel.
// Each row restarts every output pixel from its entry in the controller's row table (rowTableWord), which resets
// to word r of the im2col order; a network program loads it per layer.
import { FuMode } from '../hw/fusion-unit.js';
import { widthCode } from './pack.js';
import { RtlParams } from './params.js';
import { type RowStart, type WindowSteps, inputTile, windowSteps } from './walk.js';

export interface TileDescriptor {
  mode: FuMode;
  aSigned: boolean;
  wSigned: boolean;
  half: 0 | 1;
  M: number;
  S: number;
  ibufBase: number;
  wbufBase: number;
  obufBase: number;
  /** Add to the partial sums in OBUF (a continuation tile of a split reduction); default false. */
  accumulate?: boolean;
  /** OBUF half; defaults to `half`. */
  obufHalf?: 0 | 1;
  /** WBUF half; defaults to `half`. */
  wbufHalf?: 0 | 1;
  /** The rows' window walk; defaults to the im2col words (imColWalk). */
  walk?: WindowSteps;
}

/** Width of a kernel column count and digit, and of a channel-word count and digit. */
export const KW_BITS = 8;
export function gsBits(p: RtlParams): number {
  return p.countBits + Math.max(1, Math.ceil(Math.log2(p.rows + 1)));
}

/** The walk that reads im2col words: M pixels of S*ROWS words, each row r word t = m*S + s of its bank. */
export function imColWalk(M: number, S: number, p: RtlParams): WindowSteps {
  const k = { kh: 1, kw: 1, strideY: 1, strideX: 1, dilY: 1, dilX: 1 };
  return windowSteps(inputTile(1, M, S * p.rows, p.rows), k, M, p.rows, p.ibuf.offsetBits);
}

/** A row table entry as the rt_wr_data port takes it: {off, g, kx}. */
export function rowTableWord(x: RowStart, p: RtlParams): bigint {
  const g = gsBits(p);
  if (x.kx >= 2 ** KW_BITS || x.g >= 2 ** g || x.off >= 2 ** p.ibuf.offsetBits) throw new RangeError(`row start ${JSON.stringify(x)} does not fit the row table`);
  return (BigInt(x.off) << BigInt(KW_BITS + g)) | (BigInt(x.g) << BigInt(KW_BITS)) | BigInt(x.kx);
}

export function rowTableBits(p: RtlParams): number {
  return KW_BITS + gsBits(p) + p.ibuf.offsetBits;
}

export interface DescField {
  name: string;
  lsb: number;
  bits: number;
}

export function descriptorLayout(p: RtlParams): DescField[] {
  const widths: Array<[string, number]> = [
    ['a_bits', 2], ['w_bits', 2], ['a_signed', 1], ['w_signed', 1], ['half', 1],
    ['m', p.countBits], ['s', p.countBits],
    ['ibuf_base', p.ibuf.offsetBits], ['wbuf_base', p.wbuf.offsetBits], ['obuf_base', p.obuf.offsetBits],
    ['acc', 1], ['ob_half', 1], ['wb_half', 1],
    ['block_cols', p.countBits], ['pix_x', p.ibuf.offsetBits], ['pix_y', p.ibuf.offsetBits], ['gs', gsBits(p)], ['kw', KW_BITS], ['dg', gsBits(p)],
    ['dkx', KW_BITS], ['step', p.ibuf.offsetBits], ['cg', p.ibuf.offsetBits], ['cx', p.ibuf.offsetBits],
  ];
  return packFields(widths);
}

/** Fields laid out one after the other from bit 0, in the order given. */
export function packFields(widths: ReadonlyArray<readonly [string, number]>): DescField[] {
  const out: DescField[] = [];
  let lsb = 0;
  for (const [name, bits] of widths) {
    out.push({ name, lsb, bits });
    lsb += bits;
  }
  return out;
}

export function descriptorBits(p: RtlParams): number {
  const l = descriptorLayout(p);
  const last = l[l.length - 1];
  return last.lsb + last.bits;
}

/** Packs a descriptor after checking every field against the design's limits. */
export function packDescriptor(d: TileDescriptor, p: RtlParams): bigint {
  const values: Record<string, number> = {
    a_bits: widthCode(d.mode.a), w_bits: widthCode(d.mode.w), a_signed: d.aSigned ? 1 : 0, w_signed: d.wSigned ? 1 : 0,
    half: d.half, m: d.M, s: d.S, ibuf_base: d.ibufBase, wbuf_base: d.wbufBase, obuf_base: d.obufBase,
    acc: d.accumulate ? 1 : 0, ob_half: d.obufHalf ?? d.half, wb_half: d.wbufHalf ?? d.half,
  };
  const w = d.walk ?? imColWalk(d.M, d.S, p);
  Object.assign(values, {
    block_cols: w.blockCols, pix_x: w.pixX, pix_y: w.pixY, gs: w.gs, kw: w.kw, dg: w.dg, dkx: w.dkx, step: w.step, cg: w.cg, cx: w.cx,
  });
  return packValues(descriptorLayout(p), values, 'descriptor');
}

/** Packs `values` (one per field, unsigned) into the layout's bits; a value that does not fit is refused, naming `what`. */
export function packValues(layout: readonly DescField[], values: Record<string, number>, what: string): bigint {
  let v = 0n;
  for (const f of layout) {
    const x = values[f.name];
    if (!Number.isInteger(x) || x < 0 || x >= 2 ** f.bits) throw new RangeError(`${what} field ${f.name} = ${x} does not fit ${f.bits} bits`);
    v |= BigInt(x) << BigInt(f.lsb);
  }
  return v;
}

/** The inverse of packValues: every field's unsigned value. */
export function unpackValues(layout: readonly DescField[], v: bigint): Record<string, number> {
  return Object.fromEntries(layout.map((f) => [f.name, Number((v >> BigInt(f.lsb)) & ((1n << BigInt(f.bits)) - 1n))]));
}
