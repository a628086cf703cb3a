// The operand word layout shared by the RTL, its tests and the tile compiler.
//
// A Fusion Unit port is 32 bits. In a mode with activation width a and weight width w the unit sums
// P = (8/a)*(8/w) products; pair i's activation occupies bits [i*a +: a] of the activation word and its
// weight bits [i*w +: w] of the weight word, two's complement when signed. The activation word uses 64/w
// bits and the weight word 64/a (8x8: 8 bits each; 2x2: all 32), so the upper bits of a port are often
// unused: the unit ignores them and packWord leaves them zero. The mode is given to the hardware as two
// 2-bit width codes (0: 2 bits, 1: 4 bits, 2: 8 bits; 3 is illegal and makes the unit output 0) and two sign flags.
import { FuMode, FuWidth } from '../hw/fusion-unit.js';

/** The generator builds the Bit Fusion paper's 8-bit Fusion Unit; rtlParams refuses other unit widths. */
export const RTL_UNIT_BITS = 8;

/** A mode of the generated 8-bit unit. */
export function rtlMode(a: FuWidth, w: FuWidth): FuMode {
  return { a, w, unit: RTL_UNIT_BITS };
}

export const WORD_BITS = 32;

/** The hardware's 2-bit width code. */
export function widthCode(bits: FuWidth): number {
  return bits === 2 ? 0 : bits === 4 ? 1 : 2;
}

/** The 4-bit mode selector {a_bits, w_bits} the Fusion Unit decodes. */
export function modeCode(m: FuMode): number {
  return (widthCode(m.a) << 2) | widthCode(m.w);
}

/** Packs `values` (each `bits` wide, signed or unsigned) into one 32-bit word, value i at bits [i*bits +: bits]. */
export function packWord(values: ArrayLike<number>, bits: number): number {
  if (values.length * bits > WORD_BITS) throw new RangeError(`${values.length} values of ${bits} bits exceed a ${WORD_BITS}-bit word`);
  const mask = 2 ** bits - 1;
  let w = 0;
  for (let i = 0; i < values.length; i++) w += (values[i] & mask) * 2 ** (i * bits);
  return w >>> 0;
}

/** The inverse of packWord for `n` values. */
export function unpackWord(word: number, bits: number, n: number, signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = Math.floor(word / 2 ** (i * bits)) % 2 ** bits;
    out.push(signed && v >= 2 ** (bits - 1) ? v - 2 ** bits : v);
  }
  return out;
}

/**
 * Width of the Fusion Unit's sum in bits (two's complement). The extremes are 8x8 unsigned (255*255 = 65,025)
 * and 8x8 unsigned x signed (255*-128 = -32,640): 17 bits signed hold both.
 */
export const FU_SUM_BITS = 17;

/** Largest |sum| of one unit-cycle over every mode and sign combination (for accumulator sizing). */
export const FU_MAX_ABS_SUM = (2 ** RTL_UNIT_BITS - 1) ** 2;
