// The BitBrick: the one place that says what the 2-bit x 2-bit multiplier computes.
// Each operand is a 2-bit slice with a sign flag; it is extended to 3 bits (sign-extended when the flag is
// set, zero-extended otherwise) and the 3-bit x 3-bit signed product (range -6..9... see below) is exact in
// 6 bits. Only the most significant slice of a signed operand is signed; lower slices are unsigned.

/** The value a 2-bit slice stands for: -2..1 when signed, 0..3 when unsigned. */
export function sliceValue(bits: number, signed: boolean): number {
  const b = bits & 3;
  return signed && b & 2 ? b - 4 : b;
}

/** Product of two slices as the hardware forms it ({s & x[1], x} * {s & y[1], y}). */
export function bitBrick(x: number, sx: boolean, y: number, sy: boolean): number {
  return sliceValue(x, sx) * sliceValue(y, sy);
}
