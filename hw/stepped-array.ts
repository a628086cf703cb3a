// The cycle-stepped model of the systolic array running one tile: every register of the datapath is
// updated once per cycle, and the real integer outputs come out of the column accumulators. It is the ground
// truth that the fast layer model (tile cycles via hw/array-timing.ts) and the RTL are tested against.
//
// Registers per cycle (R rows, C columns; word t = m*S + s, m output pixel, s reduction step):
//   q            IBUF read data: the word whose address was issued the cycle before
//   skew[r][i]   row r's delay line (r stages), so row r sees word t one cycle after row r-1
//   act[r][c]    activation hop register into unit (r, c+1)
//   psum[r][c]   registered partial sum leaving unit (r, c) downwards
//   acc[c]       column accumulator; cleared at s = 0 (or loaded from `init`), written to OBUF at s = S-1
//
// `init` is a continuation tile of a reduction split across tiles: the RTL reads each output's partial sum
// back from OBUF one cycle before its step 0 reaches the accumulator, inside the pipeline, so a continuation
// tile takes the same cycles as any other and this model needs no extra step for it.
import { FuMode, fusionUnit, pairsPerCycle } from './fusion-unit.js';

/** What a tile is without its data: the array, the mode and operand signs, and its size. */
export interface TileShape {
  rows: number;
  cols: number;
  mode: FuMode;
  aSigned: boolean;
  wSigned: boolean;
  /** Output pixels and reduction steps of the tile. */
  M: number;
  S: number;
}

export interface ArrayTile extends TileShape {
  /** [M][S][rows][P] activation values, P = pairsPerCycle(mode). */
  acts: Int32Array;
  /** [S][rows][cols][P] weight values. */
  wts: Int32Array;
  /** Optional [M][cols] partial sums the accumulators start from (reduction split across tiles). */
  init?: Int32Array;
}

export interface TileWrite {
  cycle: number;
  m: number;
  col: number;
}

export interface TileRun {
  /** [M][cols] results. */
  out: Int32Array;
  /** Cycles from the first IBUF read to the last OBUF write, inclusive. */
  cycles: number;
  writes: TileWrite[];
}

const NONE = -1;

function checkTile(t: ArrayTile): number {
  const P = pairsPerCycle(t.mode);
  if (t.acts.length !== t.M * t.S * t.rows * P) throw new RangeError(`acts has ${t.acts.length} values, expected M*S*rows*P = ${t.M * t.S * t.rows * P}`);
  if (t.wts.length !== t.S * t.rows * t.cols * P) throw new RangeError(`wts has ${t.wts.length} values, expected S*rows*cols*P = ${t.S * t.rows * t.cols * P}`);
  if (t.init && t.init.length !== t.M * t.cols) throw new RangeError(`init has ${t.init.length} values, expected M*cols = ${t.M * t.cols}`);
  return P;
}

/** Steps the array one cycle at a time until the last output is written. */
export function runTile(t: ArrayTile): TileRun {
  const P = checkTile(t);
  const { rows: R, cols: C, M, S } = t;
  const words = M * S;
  const out = new Int32Array(M * C);
  const writes: TileWrite[] = [];
  if (words === 0) return { out, cycles: 0, writes };

  // Each register holds a word index (NONE = bubble); partial sums also carry their value.
  let q = NONE;
  const skew: number[][] = Array.from({ length: R }, (_, r) => new Array(r).fill(NONE));
  let act = Array.from({ length: R }, () => new Array<number>(C).fill(NONE));
  let psumWord = Array.from({ length: R }, () => new Array<number>(C).fill(NONE));
  let psumVal = Array.from({ length: R }, () => new Array<number>(C).fill(0));
  const accWord = new Array<number>(C).fill(NONE);
  const accVal = new Array<number>(C).fill(0);

  const aBuf = new Int32Array(P);
  const wBuf = new Int32Array(P);
  const product = (word: number, r: number, c: number): number => {
    const m = Math.floor(word / S);
    const s = word % S;
    const ao = ((m * S + s) * R + r) * P;
    const wo = ((s * R + r) * C + c) * P;
    for (let p = 0; p < P; p++) {
      aBuf[p] = t.acts[ao + p];
      wBuf[p] = t.wts[wo + p];
    }
    return fusionUnit(t.mode, aBuf, wBuf, t.aSigned, t.wSigned);
  };

  let cycle = 0;
  for (; writes.length < M * C; cycle++) {
    if (cycle > words + 4 * (R + C) + 16) throw new Error('internal: tile did not drain');
    // --- combinational reads of this cycle's register outputs ---
    // OBUF write: an accumulator holding a finished output (its last step) is written this cycle.
    for (let c = 0; c < C; c++) {
      const w = accWord[c];
      if (w !== NONE && w % S === S - 1) {
        const m = Math.floor(w / S);
        out[m * C + c] = accVal[c];
        writes.push({ cycle, m, col: c });
      }
    }
    // Unit inputs: row r's first unit takes the end of its skew line (or q for row 0).
    const unitIn = (r: number, c: number): number => (c === 0 ? (r === 0 ? q : skew[r][r - 1]) : act[r][c - 1]);

    // --- register updates at the clock edge ---
    // Accumulators take the bottom row's partial sums.
    for (let c = 0; c < C; c++) {
      const w = psumWord[R - 1][c];
      if (w === NONE) {
        accWord[c] = NONE;
        continue;
      }
      const s = w % S;
      const base = s === 0 ? (t.init ? t.init[Math.floor(w / S) * C + c] : 0) : accVal[c];
      accVal[c] = (base + psumVal[R - 1][c]) | 0;
      accWord[c] = w;
    }
    // Partial sums move down one row; each unit adds its product.
    const nextWord = Array.from({ length: R }, () => new Array<number>(C).fill(NONE));
    const nextVal = Array.from({ length: R }, () => new Array<number>(C).fill(0));
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        const w = unitIn(r, c);
        if (w === NONE) continue;
        if (r > 0 && psumWord[r - 1][c] !== w) throw new Error(`internal: partial sum of word ${psumWord[r - 1][c]} meets word ${w} at (${r},${c})`);
        nextWord[r][c] = w;
        nextVal[r][c] = (r > 0 ? psumVal[r - 1][c] : 0) + product(w, r, c);
      }
    }
    psumWord = nextWord;
    psumVal = nextVal;
    // Activations hop one column right; skew lines shift; the RAM delivers the word addressed this cycle.
    const nextAct = Array.from({ length: R }, () => new Array<number>(C).fill(NONE));
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) nextAct[r][c] = unitIn(r, c);
    act = nextAct;
    for (let r = 1; r < R; r++) {
      for (let i = r - 1; i > 0; i--) skew[r][i] = skew[r][i - 1];
      skew[r][0] = q;
    }
    q = cycle < words ? cycle : NONE;
  }
  return { out, cycles: cycle, writes };
}

/** The same tile as plain integer dot products (no hardware structure). */
export function referenceTile(t: ArrayTile): Int32Array {
  const P = checkTile(t);
  const { rows: R, cols: C, M, S } = t;
  const out = new Int32Array(M * C);
  for (let m = 0; m < M; m++) {
    for (let c = 0; c < C; c++) {
      let sum = t.init ? t.init[m * C + c] : 0;
      for (let s = 0; s < S; s++) {
        for (let r = 0; r < R; r++) {
          const ao = ((m * S + s) * R + r) * P;
          const wo = ((s * R + r) * C + c) * P;
          for (let p = 0; p < P; p++) sum += t.acts[ao + p] * t.wts[wo + p];
        }
      }
      out[m * C + c] = sum | 0;
    }
  }
  return out;
}
