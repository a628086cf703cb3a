// The tile compiler: turns array tiles (and whole GEMMs) into what the host does to run them on the core:
// buffer writes (IBUF bank r word t = m*S + s; WBUF bank r*cols + c word s), the packed descriptor, and where
// each output lands in OBUF (bank c, word base + m).
import { FuMode, pairsPerCycle } from '../hw/fusion-unit.js';
import { type ArrayTile, referenceTile } from '../hw/stepped-array.js';
import { TileDescriptor, packDescriptor } from './descriptor.js';
import { RtlParams } from './params.js';
import { WORD_BITS } from './pack.js';

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
  /** IBUF words bank-major: bank r's M*S words (word t = m*S + s) at ibufWords[r*M*S ..], for addresses ibufAddr onwards. */
  ibufWords: Uint32Array;
  ibufAddr: number;
  /** WBUF words bank-major: bank r*cols + c's S words at wbufWords[(r*cols + c)*S ..], for addresses wbufAddr onwards. */
  wbufWords: Uint32Array;
  wbufAddr: number;
  /** The same words as host-port writes, in the order a host writes them (built on first use). */
  readonly ibufWrites: BufferWrite[];
  readonly wbufWrites: BufferWrite[];
  /** Where each output lands in OBUF (built on first use). */
  readonly outputs: OutputSlot[];
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
  return placeTile(t, place, p, new Map());
}

/** compileTile, taking the packed words of operand arrays already packed from `packed` and adding its own. */
function placeTile(t: ArrayTile, place: TilePlacement, p: RtlParams, packed: Map<Int32Array, Uint32Array>): CompiledTile {
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
  const P = pairsPerCycle(t.mode);
  const pack = (x: Int32Array, words: number, banks: number, bits: number): Uint32Array => {
    let out = packed.get(x);
    if (!out) {
      out = packBankMajor(x, words, banks, P, bits);
      packed.set(x, out);
    }
    return out;
  };
  return new PackedTile(t, descriptor, packDescriptor(descriptor, p), pack(t.acts, W, t.rows, t.mode.a),
    fullAddr(p.ibuf.doubleBuffered, p.ibuf.tileDepth, place.half, place.ibufBase), pack(t.wts, t.S, t.rows * t.cols, t.mode.w),
    fullAddr(p.wbuf.doubleBuffered, p.wbuf.tileDepth, place.half, place.wbufBase), fullAddr(p.obuf.doubleBuffered, p.obuf.tileDepth, obufHalf, place.obufBase));
}

/**
 * Packs `words` x `banks` words of P `bits`-wide values (value i of word (w, b) at values[(w*banks + b)*P + i],
 * packWord's layout, inlined: a layer packs millions) and returns them bank-major: word (w, b) at [b*words + w].
 */
function packBankMajor(values: Int32Array, words: number, banks: number, P: number, bits: number): Uint32Array {
  if (P * bits > WORD_BITS) throw new RangeError(`${P} values of ${bits} bits exceed a ${WORD_BITS}-bit word`);
  const out = new Uint32Array(words * banks);
  const mask = 2 ** bits - 1;
  // The fields do not overlap and end at or below bit 32, so or-ing shifted fields is packWord's sum (the Uint32Array takes the sign bit as 2^31).
  for (let w = 0, o = 0; w < words; w++) {
    for (let b = 0; b < banks; b++) {
      let x = 0;
      for (let i = 0, sh = 0; i < P; i++, o++, sh += bits) x |= (values[o] & mask) << sh;
      out[b * words + w] = x;
    }
  }
  return out;
}

/**
 * A compiled tile: the packed words are made when it is compiled, the per-write lists only when a host-port
 * harness asks for them (the event harness writes the words straight into the buffer RAMs).
 */
class PackedTile implements CompiledTile {
  private writes?: { ibuf: BufferWrite[]; wbuf: BufferWrite[] };
  private slots?: OutputSlot[];

  constructor(
    readonly tile: ArrayTile, readonly descriptor: TileDescriptor, public packed: bigint, readonly ibufWords: Uint32Array, readonly ibufAddr: number,
    readonly wbufWords: Uint32Array, readonly wbufAddr: number, private readonly obufAddr: number,
  ) {}

  private hostWrites(): { ibuf: BufferWrite[]; wbuf: BufferWrite[] } {
    if (!this.writes) {
      const t = this.tile;
      const W = t.M * t.S;
      const ibuf: BufferWrite[] = [];
      for (let w = 0; w < W; w++) for (let r = 0; r < t.rows; r++) ibuf.push({ bank: r, addr: this.ibufAddr + w, data: this.ibufWords[r * W + w] });
      const wbuf: BufferWrite[] = [];
      for (let s = 0; s < t.S; s++) for (let b = 0; b < t.rows * t.cols; b++) wbuf.push({ bank: b, addr: this.wbufAddr + s, data: this.wbufWords[b * t.S + s] });
      this.writes = { ibuf, wbuf };
    }
    return this.writes;
  }

  get ibufWrites(): BufferWrite[] {
    return this.hostWrites().ibuf;
  }

  get wbufWrites(): BufferWrite[] {
    return this.hostWrites().wbuf;
  }

  get outputs(): OutputSlot[] {
    if (!this.slots) {
      const slots: OutputSlot[] = [];
      for (let m = 0; m < this.tile.M; m++) for (let c = 0; c < this.tile.cols; c++) slots.push({ m, col: c, bank: c, addr: this.obufAddr + m });
      this.slots = slots;
    }
    return this.slots;
  }
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
  // Tiles that read the same operands share their arrays and packed words: a chunk's column tiles its activations,
  // the chunks' tile (j, slice) its weights.
  const weightSlices = new Map<string, Int32Array>();
  const packed = new Map<Int32Array, Uint32Array>();
  for (let m0 = 0, chunk = 0; m0 < g.M; m0 += mChunk, chunk++) {
    const M = Math.min(mChunk, g.M - m0);
    const actSlices: Int32Array[] = [];
    for (let j = 0; j < colTiles; j++) {
      const n0 = j * C;
      let prev: ArrayTile | undefined;
      for (let k0 = 0, slice = 0; k0 < g.K; k0 += perTile, slice++) {
        const kLen = Math.min(perTile, g.K - k0);
        const S = Math.ceil(kLen / (R * P));
        // Element kk goes to (s, r, q) = reductionSlot(kk, R, P): offset ((s*R + r)*P + q) = kk within its pixel's
        // S*R*P activations, and ((s*R + r)*C + c)*P + q among the weights.
        let acts = actSlices[slice];
        if (!acts) {
          acts = new Int32Array(M * S * R * P);
          for (let m = 0; m < M; m++) acts.set(g.a.subarray((m0 + m) * g.K + k0, (m0 + m) * g.K + k0 + kLen), m * S * R * P);
          actSlices[slice] = acts;
        }
        let wts = weightSlices.get(`${j} ${slice}`);
        if (!wts) {
          wts = new Int32Array(S * R * C * P);
          const cols = Math.min(C, g.N - n0);
          for (let kk = 0; kk < kLen; kk++) {
            const sr = Math.floor(kk / P);
            const base = sr * C * P + (kk - sr * P);
            const wo = (k0 + kk) * g.N + n0;
            for (let c = 0; c < cols; c++) wts[base + c * P] = g.w[wo + c];
          }
          weightSlices.set(`${j} ${slice}`, wts);
        }
        const tile: ArrayTile = { rows: R, cols: C, mode: g.mode, aSigned: g.aSigned, wSigned: g.wSigned, M, S, acts, wts };
        if (prev) tile.init = referenceTile(prev);
        const half = (tiles.length % 2) as 0 | 1;
        const obufHalf = (p.obuf.doubleBuffered ? chunk % 2 : 0) as 0 | 1;
        tiles.push(placeTile(tile, { half, ibufBase: 0, wbufBase: 0, obufBase: j * mChunk, obufHalf }, p, packed));
        origins.push({ m0, n0, k0, kLen, last: k0 + kLen >= g.K });
        prev = tile;
      }
    }
  }
  return { tiles, origins, mChunk, tileSteps, totalSteps };
}
