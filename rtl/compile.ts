// The tile compiler: turns array tiles (and whole GEMMs) into what the host does to run them on the core:
// buffer writes (IBUF bank r word t = m*S + s; WBUF bank r*cols + c word s), the packed descriptor, and where
// each output lands in OBUF (bank c, word base + m).
import { FuMode, pairsPerCycle } from '../hw/fusion-unit.js';
import type { ArrayTile } from '../hw/stepped-array.js';
import { TileDescriptor, packDescriptor } from './descriptor.js';
import { RtlParams } from './params.js';
import { actWord, wgtWord } from './tiles.js';

export interface BufferWrite {
  bank: number;
  /** Full bank address, half bit included. */
  addr: number;
  data: number;
}

export interface OutputSlot {
  m: number;
  col: number;
  bank: number;
  addr: number;
}

export interface TilePlacement {
  half: 0 | 1;
  ibufBase: number;
  wbufBase: number;
  obufBase: number;
}

export interface CompiledTile {
  tile: ArrayTile;
  descriptor: TileDescriptor;
  /** The descriptor as the `desc` port value. */
  packed: bigint;
  ibufWrites: BufferWrite[];
  wbufWrites: BufferWrite[];
  outputs: OutputSlot[];
}

function fullAddr(db: boolean, tileDepth: number, half: 0 | 1, offset: number): number {
  return (db ? half * tileDepth : 0) + offset;
}

/** Checks a tile against the design's limits and lays it out in the buffers. */
export function compileTile(t: ArrayTile, place: TilePlacement, p: RtlParams): CompiledTile {
  if (t.rows !== p.rows || t.cols !== p.cols) throw new RangeError(`tile is ${t.rows}x${t.cols}, the array ${p.rows}x${p.cols}`);
  if (t.init) throw new RangeError('the RTL core starts every output from zero: tiles with init partial sums are not supported');
  const W = t.M * t.S;
  if (t.M < 1 || t.S < 1) throw new RangeError(`tile M=${t.M} S=${t.S}: both must be at least 1`);
  if (t.S > p.maxSteps) throw new RangeError(`tile S=${t.S} exceeds ${p.maxSteps} reduction steps (buffer half or ${p.accBits}-bit accumulator)`);
  if (place.ibufBase < 0 || place.ibufBase + W > p.ibuf.tileDepth) throw new RangeError(`IBUF words ${place.ibufBase}..${place.ibufBase + W - 1} exceed the ${p.ibuf.tileDepth}-word half`);
  if (place.wbufBase < 0 || place.wbufBase + t.S > p.wbuf.tileDepth) throw new RangeError(`WBUF words ${place.wbufBase}..${place.wbufBase + t.S - 1} exceed the ${p.wbuf.tileDepth}-word half`);
  if (place.obufBase < 0 || place.obufBase + t.M > p.obuf.tileDepth) throw new RangeError(`OBUF words ${place.obufBase}..${place.obufBase + t.M - 1} exceed the ${p.obuf.tileDepth}-word half`);
  const descriptor: TileDescriptor = { mode: t.mode, aSigned: t.aSigned, wSigned: t.wSigned, M: t.M, S: t.S, ...place };
  const ibufWrites: BufferWrite[] = [];
  for (let w = 0; w < W; w++) for (let r = 0; r < t.rows; r++) {
    ibufWrites.push({ bank: r, addr: fullAddr(p.ibuf.doubleBuffered, p.ibuf.tileDepth, place.half, place.ibufBase + w), data: actWord(t, w, r) });
  }
  const wbufWrites: BufferWrite[] = [];
  for (let s = 0; s < t.S; s++) for (let r = 0; r < t.rows; r++) for (let c = 0; c < t.cols; c++) {
    wbufWrites.push({ bank: r * t.cols + c, addr: fullAddr(p.wbuf.doubleBuffered, p.wbuf.tileDepth, place.half, place.wbufBase + s), data: wgtWord(t, s, r, c) });
  }
  const outputs: OutputSlot[] = [];
  for (let m = 0; m < t.M; m++) for (let c = 0; c < t.cols; c++) {
    outputs.push({ m, col: c, bank: c, addr: fullAddr(p.obuf.doubleBuffered, p.obuf.tileDepth, place.half, place.obufBase + m) });
  }
  return { tile: t, descriptor, packed: packDescriptor(descriptor, p), ibufWrites, wbufWrites, outputs };
}

/** A GEMM out[m][n] = sum_k a[m][k] * w[k][n] at one precision. */
export interface Gemm {
  mode: FuMode;
  aSigned: boolean;
  wSigned: boolean;
  M: number;
  K: number;
  N: number;
  /** [M][K] activations and [K][N] weights, values in the mode's range. */
  a: Int32Array;
  w: Int32Array;
}

export interface CompiledLayer {
  tiles: CompiledTile[];
  /** Which GEMM output each tile output is: out[m0 + m][n0 + col]. */
  origins: Array<{ m0: number; n0: number }>;
}

/**
 * Splits a GEMM into array tiles. Reduction element k goes to step s = floor(k / (rows*P)), row
 * r = floor(k / P) % rows, pair k % P (zero padded); columns take output channels in groups of `cols`
 * (zero weights pad the last group); output pixels go in chunks that fit the IBUF and OBUF halves.
 * Tiles alternate buffer halves so the host can fill one while the other runs.
 */
/** Where reduction element k of a GEMM goes in a tile: step s, array row r, pair q of the packed word. */
export interface ReductionSlot {
  s: number;
  r: number;
  q: number;
}

/** Reduction element k -> (step, row, pair) for an array of `rows` rows taking `pairs` pairs per unit-cycle. */
export function reductionSlot(k: number, rows: number, pairs: number): ReductionSlot {
  return { s: Math.floor(k / (rows * pairs)), r: Math.floor(k / pairs) % rows, q: k % pairs };
}

/** Reduction steps S of a K-long reduction in `mode` on `rows` rows. */
export function reductionSteps(K: number, mode: FuMode, rows: number): number {
  return Math.ceil(K / (rows * pairsPerCycle(mode)));
}

export function compileLayer(g: Gemm, p: RtlParams): CompiledLayer {
  const P = pairsPerCycle(g.mode);
  const R = p.rows;
  const C = p.cols;
  const S = reductionSteps(g.K, g.mode, R);
  if (S > p.maxSteps) throw new RangeError(`K=${g.K} needs ${S} reduction steps; one tile holds at most ${p.maxSteps} (split the reduction across layers of tiles)`);
  const mChunk = Math.min(Math.floor(p.ibuf.tileDepth / S), p.obuf.tileDepth);
  const tiles: CompiledTile[] = [];
  const origins: Array<{ m0: number; n0: number }> = [];
  for (let n0 = 0; n0 < g.N; n0 += C) {
    for (let m0 = 0; m0 < g.M; m0 += mChunk) {
      const M = Math.min(mChunk, g.M - m0);
      const acts = new Int32Array(M * S * R * P);
      const wts = new Int32Array(S * R * C * P);
      for (let k = 0; k < g.K; k++) {
        const { s, r, q } = reductionSlot(k, R, P);
        for (let m = 0; m < M; m++) acts[((m * S + s) * R + r) * P + q] = g.a[(m0 + m) * g.K + k];
        for (let c = 0; c < C && n0 + c < g.N; c++) wts[((s * R + r) * C + c) * P + q] = g.w[k * g.N + n0 + c];
      }
      const tile: ArrayTile = { rows: R, cols: C, mode: g.mode, aSigned: g.aSigned, wSigned: g.wSigned, M, S, acts, wts };
      const half = (tiles.length % 2) as 0 | 1;
      tiles.push(compileTile(tile, { half, ibufBase: 0, wbufBase: 0, obufBase: 0 }, p));
      origins.push({ m0, n0 });
    }
  }
  return { tiles, origins };
}
