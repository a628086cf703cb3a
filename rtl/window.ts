// Convolution windows over packed activations: the reduction order the core runs a layer in when its input
// comes from memory as a tensor instead of a host-built im2col, and the layout of an input tile in IBUF.
//
// A tensor in memory is pixel-major and packed dense the way the output unit writes it (rtl/output-path.ts): pixel
// p = y*W + x holds ceil(C * bits / 32) words of 32 / bits codes, channel c in slot c % (32 / bits). An IBUF word
// of the reading layer is P codes (its pairs per cycle), P * bits of 8, 16 or 32 bits, so channel word g = P codes
// from channel g*P is one field of one memory word. The reduction runs in the order (ky, kx, channel word g,
// slot q): word j = (ky*kw + kx)*G + g of an output pixel's window (G = ceil(C / P)), read by array row j % ROWS
// at reduction step floor(j / ROWS). The weights are permuted to the same order, with zero weights in the
// slots of channels past C, so the sums are the integer model's.
//
// IBUF holds an input tile (the pixels a block of output pixels reads, the window's halo and the image's padding
// included, padding as zero-point words) of gs channel words. Row r only ever reads words g with
// g = r (mod d), d = gcd(gs, ROWS) (j = t*gs + g and j = r (mod ROWS)), so bank r holds just those: gs/d words per
// pixel, word g of tile pixel p at bank address p*(gs/d) + floor(g/d). Each row computes its own read address.
import { pairsPerCycle } from '../hw/fusion-unit.js';
import type { FuMode } from '../hw/fusion-unit.js';
import type { ConvLayer, FcLayer } from '../src/model/ir.js';
import type { IntegerLayer } from '../src/intmodel/execute.js';
import type { OutputFormat } from './layer.js';
import { packWord } from './pack.js';
import { type ElementBits, wordsPerPixel } from './output-path.js';

/** A tensor held packed in memory: its shape, the format of its words and where it starts (in words). */
export interface PackedTensor {
  c: number;
  h: number;
  w: number;
  format: OutputFormat;
  base: number;
}

/** A tensor's format in memory: 32 / bits codes a word. */
export function memoryFormat(bits: ElementBits, signed: boolean): OutputFormat {
  return { bits, perWord: 32 / bits, signed };
}

/** Channel word g (P codes from channel g*P, `actBits` = P*bits wide) of the pixel whose memory words start at `at`. */
export function channelWord(memory: Uint32Array, at: number, g: number, actBits: number): number {
  const perMemory = 32 / actBits;
  const sub = g % perMemory;
  return actBits === 32 ? memory[at + g] : (memory[at + (g - sub) / perMemory] >>> (sub * actBits)) & (2 ** actBits - 1);
}

/** Words of a packed tensor. */
export function tensorWords(t: Omit<PackedTensor, 'base'>): number {
  return t.h * t.w * wordsPerPixel(t.c, t.format.perWord);
}

/** What a gather walks: the input's size and words per pixel, the window and how it moves over the output. */
export interface WindowGeometry {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  strideY: number;
  strideX: number;
  padTop: number;
  padLeft: number;
  dilY: number;
  dilX: number;
  /** Input words per pixel. */
  G: number;
}

/** Window words of one output pixel: the layer's reduction in words. */
export function windowWords(g: WindowGeometry): number {
  return g.kh * g.kw * g.G;
}

/**
 * The window of a conv layer, or of an fc layer over an inC x inH x inW input (a window the size of the input,
 * so the fc's (channel, row, column) weight order is a convolution's).
 */
export function windowOf(l: ConvLayer | FcLayer, input: { c: number; h: number; w: number }, perWord: number): WindowGeometry {
  const G = wordsPerPixel(input.c, perWord);
  if (l.kind === 'fc') {
    if (input.c * input.h * input.w !== l.inFeatures) {
      throw new RangeError(`fc '${l.name}' takes ${l.inFeatures} inputs, its input is ${input.c}x${input.h}x${input.w}`);
    }
    return { inH: input.h, inW: input.w, outH: 1, outW: 1, kh: input.h, kw: input.w, strideY: 1, strideX: 1, padTop: 0, padLeft: 0, dilY: 1, dilX: 1, G };
  }
  if (l.groups !== 1) throw new RangeError(`conv '${l.name}' has ${l.groups} groups; gathered windows are ungrouped`);
  return {
    inH: l.input.h, inW: l.input.w, outH: l.output.h, outW: l.output.w, kh: l.kernel[0], kw: l.kernel[1],
    strideY: l.stride[0], strideX: l.stride[1], padTop: l.pad[0], padLeft: l.pad[1], dilY: l.dilation[0], dilX: l.dilation[1], G,
  };
}

/** The word an input tile holds where it leaves the image: every slot the input's zero point. */
export function padWord(mode: FuMode, zeroPoint: number): number {
  return packWord(new Array<number>(pairsPerCycle(mode)).fill(zeroPoint), mode.a);
}

/**
 * The layer as a GEMM in window order: activations [M][K'] as the gather delivers them (pad codes where the
 * window leaves the image, zero in channel slots past C) and weights [K'][N] permuted to match (zero in those
 * slots), K' = windowWords * P. `input` is [C][H][W] codes; the weights are the integer layer's [N][C*kh*kw].
 */
export function windowGemm(L: IntegerLayer, input: ArrayLike<number>, inShape: { c: number; h: number; w: number }, mode: FuMode):
  { M: number; K: number; N: number; a: Int32Array; w: Int32Array } {
  const P = pairsPerCycle(mode);
  const g = windowOf(L.layer, inShape, P);
  const C = inShape.c;
  const N = L.layer.kind === 'fc' ? L.layer.outFeatures : L.layer.outC;
  const M = g.outH * g.outW;
  const J = windowWords(g);
  const K = J * P;
  const kOrig = C * g.kh * g.kw;
  const a = new Int32Array(M * K);
  for (let m = 0; m < M; m++) for (let j = 0; j < J; j++) {
    const gi = j % g.G;
    const kk = (j - gi) / g.G;
    const kx = kk % g.kw;
    const ky = (kk - kx) / g.kw;
    const ox = m % g.outW;
    const oy = (m - ox) / g.outW;
    const y = oy * g.strideY - g.padTop + ky * g.dilY;
    const x = ox * g.strideX - g.padLeft + kx * g.dilX;
    const outside = y < 0 || y >= g.inH || x < 0 || x >= g.inW;
    for (let q = 0; q < P; q++) {
      const c = gi * P + q;
      a[m * K + j * P + q] = outside ? L.inZeroPoint : c < C ? input[(c * g.inH + y) * g.inW + x] : 0;
    }
  }
  const w = new Int32Array(K * N);
  for (let j = 0; j < J; j++) {
    const gi = j % g.G;
    const kk = (j - gi) / g.G;
    const kx = kk % g.kw;
    const ky = (kk - kx) / g.kw;
    for (let q = 0; q < P; q++) {
      const c = gi * P + q;
      if (c >= C) continue;
      const k = (c * g.kh + ky) * g.kw + kx;
      for (let n = 0; n < N; n++) w[(j * P + q) * N + n] = L.weights[n * kOrig + k];
    }
  }
  return { M, K, N, a, w };
}

/**
 * An input tile in IBUF: th x tw pixels of gs channel words, rows `pitch` pixels apart (a layer's edge blocks are
 * narrower than its pitch); bank r holds the words g = r (mod d).
 */
export interface InputTile {
  th: number;
  tw: number;
  pitch: number;
  gs: number;
  d: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function inputTile(th: number, tw: number, gs: number, rows: number, pitch = tw): InputTile {
  return { th, tw, pitch, gs, d: gcd(gs, rows) };
}

/** Words each IBUF bank holds for the tile. */
export function bankWords(t: InputTile): number {
  return t.th * t.pitch * (t.gs / t.d);
}

/** Bank address (within the half) of word g of tile pixel `pixel`. */
export function tileAddress(t: InputTile, pixel: number, g: number): number {
  return pixel * (t.gs / t.d) + Math.floor(g / t.d);
}

/** The kernel's walk over an input tile. */
export type KernelWalk = Pick<WindowGeometry, 'kh' | 'kw' | 'strideY' | 'strideX' | 'dilY' | 'dilX'>;

/**
 * Window word j of the block's output pixel (oy, ox) (block coordinates): the tile pixel and channel word it
 * reads, or null past the reduction (kh*kw*gs words; the weights there are zero, so any word will do).
 */
export function windowRead(t: InputTile, k: KernelWalk, oy: number, ox: number, j: number): { pixel: number; g: number } | null {
  if (j >= k.kh * k.kw * t.gs) return null;
  const g = j % t.gs;
  const kk = (j - g) / t.gs;
  const kx = kk % k.kw;
  const ky = (kk - kx) / k.kw;
  return { pixel: (oy * k.strideY + ky * k.dilY) * t.pitch + ox * k.strideX + kx * k.dilX, g };
}

/**
 * How the tile controller walks the windows: each array row keeps its window word j = s*ROWS + r as digits
 * (ky, kx, g) and its bank offset off = ky*OY + kx*OX + floor(g/d) (OX = dilX*gs/d, OY = dilY*pitch*gs/d), and
 * moves them by ROWS words a step: g += dg, kx += dkx, ky += dky with carries, off += step, plus cg when g
 * carries and cx when kx carries. At each output pixel the rows restart from their initial digits (rowInit) and
 * the pixel base moves by pixX along a block row, by pixY to the next block row. All constants come from the
 * compiler (windowSteps), so the hardware only adds and compares. Offsets are modulo the IBUF half.
 */
export interface WindowSteps {
  blockCols: number;
  pixX: number;
  pixY: number;
  gs: number;
  kw: number;
  kh: number;
  dg: number;
  dkx: number;
  dky: number;
  step: number;
  cg: number;
  cx: number;
}

/** A row's starting digits and bank offset (window word j = r). */
export interface RowStart {
  ky: number;
  kx: number;
  g: number;
  off: number;
}

function digits(j: number, t: InputTile, k: KernelWalk): { ky: number; kx: number; g: number } {
  const g = j % t.gs;
  const kk = (j - g) / t.gs;
  return { ky: Math.floor(kk / k.kw), kx: kk % k.kw, g };
}

/** The constants of a tile's walk on `rows` array rows, offsets modulo 2^offsetBits. */
export function windowSteps(t: InputTile, k: KernelWalk, blockCols: number, rows: number, offsetBits: number): WindowSteps {
  const mod = (v: number) => ((v % 2 ** offsetBits) + 2 ** offsetBits) % 2 ** offsetBits;
  const per = t.gs / t.d;
  const OX = k.dilX * per;
  const OY = k.dilY * t.pitch * per;
  const { ky: dky, kx: dkx, g: dg } = digits(rows, t, k);
  return {
    blockCols, pixX: mod(k.strideX * per), pixY: mod(k.strideY * t.pitch * per - (blockCols - 1) * k.strideX * per), gs: t.gs, kw: k.kw, kh: k.kh,
    dg, dkx, dky, step: mod(dg / t.d + dkx * OX + dky * OY), cg: mod(OX - per), cx: mod(OY - k.kw * OX),
  };
}

/** Every row's starting digits: window word j = r. */
export function rowStarts(t: InputTile, k: KernelWalk, rows: number): RowStart[] {
  const per = t.gs / t.d;
  return Array.from({ length: rows }, (_, r) => {
    const { ky, kx, g } = digits(r, t, k);
    return { ky, kx, g, off: ky * k.dilY * t.pitch * per + kx * k.dilX * per + Math.floor(g / t.d) };
  });
}

/**
 * The bank offsets the controller reads, as it computes them: [t][r] for t = m*S + s, or -1 where the row is past
 * the reduction (ky >= kh: its weights are zero, the word it reads does not count). Offsets modulo 2^offsetBits.
 */
export function walkOffsets(w: WindowSteps, starts: RowStart[], M: number, S: number, offsetBits: number): Int32Array[] {
  const mod = 2 ** offsetBits;
  const out: Int32Array[] = [];
  let pb = 0;
  for (let m = 0; m < M; m++) {
    const st = starts.map((x) => ({ ...x }));
    for (let s = 0; s < S; s++) {
      out.push(Int32Array.from(st, (x) => (x.ky < w.kh ? (pb + x.off) % mod : -1)));
      for (const x of st) {
        let g = x.g + w.dg;
        const cg = g >= w.gs;
        if (cg) g -= w.gs;
        let kx = x.kx + w.dkx + (cg ? 1 : 0);
        const cx = kx >= w.kw;
        if (cx) kx -= w.kw;
        x.off = (x.off + w.step + (cg ? w.cg : 0) + (cx ? w.cx : 0)) % mod;
        x.g = g;
        x.kx = kx;
        x.ky += w.dky + (cx ? 1 : 0);
      }
    }
    pb = (pb + ((m + 1) % w.blockCols === 0 ? w.pixY : w.pixX)) % mod;
  }
  return out;
}
