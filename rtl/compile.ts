// The tile compiler: turns array tiles (and whole GEMMs) into what the host does to run them on the core:
// buffer writes (IBUF bank r word t = m*S + s; WBUF bank r*cols + c word s), the packed descriptor, and where
// each output lands in OBUF (bank c, word base + m).
import { FuMode, pairsPerCycle } from '../hw/fusion-unit.js';
import { type ArrayTile, referenceTile } from '../hw/stepped-array.js';
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
  /** OBUF half when it differs from `half` (the tiles of a split reduction share one OBUF half). */
  obufHalf?: 0 | 1;
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

/**
 * Checks a tile against the design's limits and lays it out in the buffers. A tile with `init` is a
 * continuation: its descriptor has acc set, and OBUF must hold `init` at the tile's output slots when it
 * starts (the previous tile of the split reduction, placed at the same OBUF half and base, wrote them).
 */
export function compileTile(t: ArrayTile, place: TilePlacement, p: RtlParams): CompiledTile {
  if (t.rows !== p.rows || t.cols !== p.cols) throw new RangeError(`tile is ${t.rows}x${t.cols}, the array ${p.rows}x${p.cols}`);
  const W = t.M * t.S;
  if (t.M < 1 || t.S < 1) throw new RangeError(`tile M=${t.M} S=${t.S}: both must be at least 1`);
  if (t.S > p.maxSteps) throw new RangeError(`tile S=${t.S} exceeds ${p.maxSteps} reduction steps (buffer half or ${p.accBits}-bit accumulator)`);
  if (place.ibufBase < 0 || place.ibufBase + W > p.ibuf.tileDepth) throw new RangeError(`IBUF words ${place.ibufBase}..${place.ibufBase + W - 1} exceed the ${p.ibuf.tileDepth}-word half`);
  if (place.wbufBase < 0 || place.wbufBase + t.S > p.wbuf.tileDepth) throw new RangeError(`WBUF words ${place.wbufBase}..${place.wbufBase + t.S - 1} exceed the ${p.wbuf.tileDepth}-word half`);
  if (place.obufBase < 0 || place.obufBase + t.M > p.obuf.tileDepth) throw new RangeError(`OBUF words ${place.obufBase}..${place.obufBase + t.M - 1} exceed the ${p.obuf.tileDepth}-word half`);
  const obufHalf = place.obufHalf ?? place.half;
  const descriptor: TileDescriptor = {
    mode: t.mode, aSigned: t.aSigned, wSigned: t.wSigned, M: t.M, S: t.S, ...place, obufHalf, accumulate: t.init !== undefined,
  };
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
    outputs.push({ m, col: c, bank: c, addr: fullAddr(p.obuf.doubleBuffered, p.obuf.tileDepth, obufHalf, place.obufBase + m) });
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

/** Where a tile's outputs belong: out[m0 + m][n0 + col], and which slice of the reduction it adds. */
export interface TileOrigin {
  m0: number;
  n0: number;
  /** Reduction elements k0 .. k0 + kLen - 1 of the GEMM. */
  k0: number;
  kLen: number;
  /** The tile finishes its outputs (the last of its reduction's tiles). */
  last: boolean;
}

export interface CompiledLayer {
  tiles: CompiledTile[];
  origins: TileOrigin[];
  /** Output pixels per chunk; column tile j of a chunk keeps its outputs at OBUF words j*mChunk + m. */
  mChunk: number;
  /** Reduction steps of a full tile and of the whole reduction. */
  tileSteps: number;
  totalSteps: number;
}

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

export interface LayerTiling {
  /** Reduction steps per tile, at most the design's maxSteps (the default). */
  maxSteps?: number;
  /** Output pixels per chunk, at most what the buffers take (the default). */
  maxPixels?: number;
}

/**
 * Splits a GEMM into array tiles. Reduction element k goes to step s = floor(k / (rows*P)), row
 * r = floor(k / P) % rows, pair k % P (zero padded); columns take output channels in groups of `cols`
 * (zero weights pad the last group). A reduction longer than one tile's steps is split into tiles of
 * `tileSteps` steps: the first starts from zero, each further one is a continuation (init = the partial
 * sums its predecessor leaves in OBUF). Output pixels go in chunks that fit the IBUF half and keep every
 * column tile's partial sums of the chunk in one OBUF half at once (column tile j at words j*mChunk + m),
 * so an output pass can read whole pixels. Order: chunks, column tiles, reduction slices. The IBUF and WBUF
 * halves alternate tile by tile so the host can fill one while the other runs; the OBUF half alternates by chunk.
 */
export function compileLayer(g: Gemm, p: RtlParams, tiling: LayerTiling = {}): CompiledLayer {
  const P = pairsPerCycle(g.mode);
  const R = p.rows;
  const C = p.cols;
  const cap = tiling.maxSteps ?? p.maxSteps;
  if (!Number.isInteger(cap) || cap < 1 || cap > p.maxSteps) throw new RangeError(`tile steps ${cap}: must be 1..${p.maxSteps}`);
  const totalSteps = reductionSteps(g.K, g.mode, R);
  const tileSteps = Math.min(totalSteps, cap);
  const colTiles = Math.ceil(g.N / C);
  if (colTiles > p.obuf.tileDepth) throw new RangeError(`N=${g.N} needs ${colTiles} column tiles; an OBUF half holds at most ${p.obuf.tileDepth}`);
  const fits = Math.min(Math.floor(p.ibuf.tileDepth / tileSteps), Math.floor(p.obuf.tileDepth / colTiles));
  const pixels = tiling.maxPixels ?? fits;
  if (!Number.isInteger(pixels) || pixels < 1) throw new RangeError(`pixels per chunk ${pixels}: must be a positive integer`);
  const mChunk = Math.min(fits, pixels);
  const perTile = tileSteps * R * P;
  const tiles: CompiledTile[] = [];
  const origins: TileOrigin[] = [];
  for (let m0 = 0, chunk = 0; m0 < g.M; m0 += mChunk, chunk++) {
    const M = Math.min(mChunk, g.M - m0);
    for (let j = 0; j < colTiles; j++) {
      const n0 = j * C;
      let prev: ArrayTile | undefined;
      for (let k0 = 0; k0 < g.K; k0 += perTile) {
        const kLen = Math.min(perTile, g.K - k0);
        const S = Math.ceil(kLen / (R * P));
        const acts = new Int32Array(M * S * R * P);
        const wts = new Int32Array(S * R * C * P);
        for (let kk = 0; kk < kLen; kk++) {
          const { s, r, q } = reductionSlot(kk, R, P);
          const k = k0 + kk;
          for (let m = 0; m < M; m++) acts[((m * S + s) * R + r) * P + q] = g.a[(m0 + m) * g.K + k];
          for (let c = 0; c < C && n0 + c < g.N; c++) wts[((s * R + r) * C + c) * P + q] = g.w[k * g.N + n0 + c];
        }
        const tile: ArrayTile = { rows: R, cols: C, mode: g.mode, aSigned: g.aSigned, wSigned: g.wSigned, M, S, acts, wts };
        if (prev) tile.init = referenceTile(prev);
        const half = (tiles.length % 2) as 0 | 1;
        const obufHalf = (p.obuf.doubleBuffered ? chunk % 2 : 0) as 0 | 1;
        tiles.push(compileTile(tile, { half, ibufBase: 0, wbufBase: 0, obufBase: j * mChunk, obufHalf }, p));
        origins.push({ m0, n0, k0, kLen, last: k0 + kLen >= g.K });
        prev = tile;
      }
    }
  }
  return { tiles, origins, mChunk, tileSteps, totalSteps };
}
