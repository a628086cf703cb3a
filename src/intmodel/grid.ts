// The b-bit integer grid every part of hwq agrees on: the codes a b-bit operand holds (two's complement when
// signed, 0..2^b-1 when not), how many steps lie above zero, and how a real number is put on the grid. The
// quantizer picks codes on it, the .hwq file stores them, the simulator and the RTL multiply them.

/** Smallest code of a `bits`-wide operand: -2^(bits-1) signed, 0 unsigned. */
export function gridMin(bits: number, signed: boolean): number {
  return signed ? -(2 ** (bits - 1)) : 0;
}

/** Largest code of a `bits`-wide operand: 2^(bits-1)-1 signed, 2^bits-1 unsigned. */
export function gridMax(bits: number, signed: boolean): number {
  return signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
}

/** [min, max] code of a `bits`-wide operand. */
export function gridRange(bits: number, signed: boolean): [number, number] {
  return [gridMin(bits, signed), gridMax(bits, signed)];
}

/**
 * Steps above zero a scale divides a clip value into: 2^(b-1)-1 for symmetric signed values (the narrow range
 * that leaves -2^(b-1) unused, so +x and -x quantize alike), 2^b-1 for unsigned ones.
 */
export function positiveLevels(bits: number, signed: boolean): number {
  return gridMax(bits, signed);
}

/** `q` limited to lo..hi. */
export function clampCode(q: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, q));
}

/** `q` limited to the full grid of `bits`-wide codes. */
export function clampToGrid(q: number, bits: number, signed: boolean): number {
  return clampCode(q, gridMin(bits, signed), gridMax(bits, signed));
}

/** `q` limited to the symmetric signed grid -(2^(b-1)-1)..2^(b-1)-1 that per-channel weight scales assume. */
export function clampSymmetric(q: number, bits: number): number {
  const top = positiveLevels(bits, true);
  return clampCode(q, -top, top);
}

/** Round half to even, as ONNX QuantizeLinear rounds. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero, as TF-Lite rounds. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
