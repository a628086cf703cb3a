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
import { FuMode } from '../hw/fusion-unit.js';
import { widthCode } from './pack.js';
import { RtlParams } from './params.js';

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
    ['acc', 1], ['ob_half', 1],
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
    acc: d.accumulate ? 1 : 0, ob_half: d.obufHalf ?? d.half,
  };
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
