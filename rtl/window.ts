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
// The input tile in IBUF and the rows' walk over it are in rtl/walk.ts.
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

/** A layer's window: the input's size and words per pixel, the kernel and how it moves over the output. */
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
  if (l.groups !== 1) throw new RangeError(`conv '${l.name}' has ${l.groups} groups; windows are read ungrouped`);
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
 * The layer as a GEMM in window order: activations [M][K'] as the rows read them from input tiles (pad codes where the
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
