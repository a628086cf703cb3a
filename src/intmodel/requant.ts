// Integer requantization as fixed-point hardware does it after accumulation (gemmlowp / TF-Lite reference
// semantics): a real multiplier M = sIn * sW / sOut becomes a Q31 mantissa M0 and a power-of-two shift, and an
// int32 accumulator is scaled with SaturatingRoundingDoublingHighMul then RoundingDivideByPOT (ties away from
// zero). Everything here is exact in JS Number arithmetic: products of two int32 are split so no
// intermediate exceeds 2^53.

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO31 = 2147483648;

/** A real multiplier as M0 * 2^(shift - 31): M0 in [2^30, 2^31) (or 0), shift > 0 shifts left. */
export interface QuantizedMultiplier {
  m0: number;
  shift: number;
}

/**
 * TF-Lite's QuantizeMultiplier: M = q * 2^shift with q in [0.5, 1), M0 = round(q * 2^31). Multipliers too
 * small to represent (shift < -31) become 0; M must be finite, >= 0 and below 2^31.
 */
export function quantizeMultiplier(m: number): QuantizedMultiplier {
  if (!Number.isFinite(m) || m < 0) throw new Error(`requantization multiplier ${m} must be finite and >= 0`);
  if (m === 0) return { m0: 0, shift: 0 };
  let shift = Math.floor(Math.log2(m)) + 1;
  // log2 can be off by one ulp near powers of two; settle q into [0.5, 1) exactly.
  let q = m / 2 ** shift;
  while (q >= 1) {
    shift++;
    q = m / 2 ** shift;
  }
  while (q < 0.5) {
    shift--;
    q = m / 2 ** shift;
  }
  let m0 = Math.round(q * TWO31);
  if (m0 === TWO31) {
    m0 /= 2;
    shift++;
  }
  if (shift < -31) return { m0: 0, shift: 0 };
  if (shift > 30) throw new Error(`requantization multiplier ${m} is too large (needs a left shift of ${shift})`);
  return { m0, shift };
}

/** The real value M0 * 2^(shift - 31) a quantized multiplier stands for. */
export function multiplierValue(q: QuantizedMultiplier): number {
  return q.m0 * 2 ** (q.shift - 31);
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b rounded to nearest (its nudge makes exact
 * ties go up: 0.5 -> 1, -0.5 -> 0), with the one overflow case (INT32_MIN * INT32_MIN) saturating to INT32_MAX.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // a*b = t1 * 2^16 + t2, with t1 = a * (b >> 16) and t2 = a * (b & 0xffff), both exact (< 2^47).
  const t1 = a * (b >> 16);
  const t2 = a * (b & 0xffff);
  // t1 * 2^16 = t1h * 2^31 + t1l * 2^16 with 0 <= t1l < 2^15.
  const t1h = Math.floor(t1 / 32768);
  const t1l = t1 - t1h * 32768;
  const nudge = t1 * 65536 + t2 >= 0 ? 1 << 30 : 1 - (1 << 30);
  // (a*b + nudge) = t1h * 2^31 + r exactly; the C++ division truncates toward zero.
  const r = t1l * 65536 + t2 + nudge;
  const rf = Math.floor(r / TWO31);
  const floorQ = t1h + rf;
  const rem = r - rf * TWO31;
  return floorQ < 0 && rem !== 0 ? floorQ + 1 : floorQ;
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero (0 <= exponent <= 31). */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 31) throw new Error(`shift exponent ${exponent} is outside 0..31`);
  const mask = (2 ** exponent - 1) | 0;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TF-Lite MultiplyByQuantizedMultiplier; the left shift saturates to the int32 range instead of overflowing. */
export function multiplyByQuantizedMultiplier(acc: number, m0: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const shifted = Math.min(INT32_MAX, Math.max(INT32_MIN, acc * 2 ** left));
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, m0), right);
}

/** One output value: the int32 accumulator scaled by (M0, shift), offset by the output zero point, clamped. */
export function requantize(acc: number, m0: number, shift: number, zeroPointOut: number, min: number, max: number): number {
  const v = multiplyByQuantizedMultiplier(acc, m0, shift) + zeroPointOut;
  return v < min ? min : v > max ? max : v;
}

/** Per output channel multipliers sIn * sW[c] / sOut, as parallel M0 and shift arrays. */
/** sOut is one scale, or one per output channel (the next layer's ECAQ channel scales, which the
 *  requantization absorbs). */
export function channelMultipliers(sIn: number, sW: ArrayLike<number>, sOut: number | ArrayLike<number>): { m0: Int32Array; shift: Int32Array } {
  const outOf = (c: number) => (typeof sOut === 'number' ? sOut : sOut[c]);
  const m0 = new Int32Array(sW.length);
  const shift = new Int32Array(sW.length);
  for (let c = 0; c < sW.length; c++) {
    if (!(outOf(c) > 0)) throw new Error(`output scale ${outOf(c)} must be > 0`);
    const q = quantizeMultiplier((sIn * sW[c]) / outOf(c));
    m0[c] = q.m0;
    shift[c] = q.shift;
  }
  return { m0, shift };
}
