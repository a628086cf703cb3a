// The cycle formula of one compute tile on the systolic array: the one place that says how long a tile
// takes. The cycle-stepped model (hw/stepped-array.ts) and the RTL (rtl/) are tested to take exactly this
// many cycles; the fast layer model adds tiles up with it (sim/schedule.ts).
//
// A tile streams `words` activation words into every row: word t (t = m*S + s, output pixel m, reduction
// step s of S) is read from IBUF at cycle t, arrives from the synchronous RAM one cycle later, is delayed r
// cycles for row r (skew), and hops one column per cycle. Unit (r, c) multiplies it at cycle
// t + READ_LATENCY + r + c and registers its partial sum; the bottom row's register feeds the column
// accumulator one cycle later, and the finished output (s = S-1) is written to OBUF the cycle after that.

/** Cycles from a buffer read address to its data (synchronous block RAM). */
export const READ_LATENCY = 1;
/** Bottom partial-sum register -> column accumulator. */
export const ACCUMULATE_LATENCY = 1;
/** Accumulator -> OBUF write. */
export const WRITEBACK_LATENCY = 1;

/**
 * Cycles of one tile from the first IBUF read to the last OBUF write (inclusive count): `words` = M*S words
 * streamed per row, on an array of `rows` x `cols` units.
 */
export function tileCycles(words: number, rows: number, cols: number): number {
  if (words <= 0) return 0;
  // last word read at cycle words-1, multiplied in unit (rows-1, cols-1) at words-1+READ_LATENCY+rows-1+cols-1
  return words + READ_LATENCY + (rows - 1) + (cols - 1) + ACCUMULATE_LATENCY + WRITEBACK_LATENCY;
}

/**
 * The tile controller latches a descriptor the cycle before tile cycle 0 and pulses done the cycle after the
 * last OBUF write; a start issued in that done cycle is accepted, so back-to-back tiles cost one cycle each
 * on top of tileCycles (measured on the generated RTL, reports/rtl/design.md).
 */
export const TILE_ISSUE_OVERHEAD = 1;

/** Cycles a tile occupies the array when tiles run back to back under the controller. */
export function tileIssueCycles(words: number, rows: number, cols: number): number {
  return words > 0 ? tileCycles(words, rows, cols) + TILE_ISSUE_OVERHEAD : 0;
}
