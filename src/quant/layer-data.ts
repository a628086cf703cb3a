// The data of a layer-wise reconstruction problem (Bit-split, log quantization): at sampled output positions,
// the im2col patch X of the layer's input (taken from the partly quantized network, or the float one) and
// the float layer's output y before bias. Positions are drawn once per layer with a seeded generator, so a
// run is repeatable bit for bit.
import type { ComputeLayer } from '../model/ir.js';
import { mulberry32 } from '../random.js';

/** One group's problem: X is N x D (row-major), Y is N x OC. */
export interface GroupData {
  X: Float32Array;
  Y: Float32Array;
}

export interface LayerData {
  N: number;
  /** Reduction length per group: (inC / groups) * kh * kw. */
  D: number;
  /** Output channels per group. */
  OC: number;
  groups: GroupData[];
}

/** A sampled output position: which calibration image, output row and column. */
export interface Position {
  image: number;
  oy: number;
  ox: number;
}

/** Geometry of a layer as a convolution (fc and matmul are 1x1 convolutions on a 1x1 map). */
export interface ConvGeometry {
  inC: number;
  outC: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  dh: number;
  dw: number;
  groups: number;
}

export function geometryOf(l: ComputeLayer): ConvGeometry {
  if (l.kind === 'conv') {
    return {
      inC: l.inC, outC: l.outC, inH: l.input.h, inW: l.input.w, outH: l.output.h, outW: l.output.w, kh: l.kernel[0], kw: l.kernel[1],
      sh: l.stride[0], sw: l.stride[1], padTop: l.pad[0], padLeft: l.pad[1], dh: l.dilation[0], dw: l.dilation[1], groups: l.groups,
    };
  }
  const [inC, outC] = l.kind === 'fc' ? [l.inFeatures, l.outFeatures] : [l.k, l.n];
  return { inC, outC, inH: 1, inW: 1, outH: 1, outW: 1, kh: 1, kw: 1, sh: 1, sw: 1, padTop: 0, padLeft: 0, dh: 1, dw: 1, groups: 1 };
}

/**
 * `count` positions over `images` images (without repeats when there are fewer positions than asked, in
 * which case every position is used), sorted by image so batches can be filled in one pass.
 */
export function samplePositions(g: ConvGeometry, images: number, count: number, seed: number): Position[] {
  const per = g.outH * g.outW;
  const total = images * per;
  const out: Position[] = [];
  if (total <= count) {
    for (let i = 0; i < total; i++) out.push({ image: Math.floor(i / per), oy: Math.floor((i % per) / g.outW), ox: i % g.outW });
    return out;
  }
  const rand = mulberry32(seed);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(rand() * total));
  for (const i of [...chosen].sort((a, b) => a - b)) out.push({ image: Math.floor(i / per), oy: Math.floor((i % per) / g.outW), ox: i % g.outW });
  return out;
}

/**
 * Fills rows of X (im2col patches, zero outside the padded input) for the positions that fall in a batch.
 * `input` is the batch's B x C x H x W tensor (for fc: B x C); `first` is the batch's first image index.
 * Writes rows [row0, row0 + k) of every group's X, returns k.
 */
export function fillPatches(g: ConvGeometry, input: Float32Array, first: number, count: number, positions: Position[], from: number, out: LayerData, row0: number): number {
  const icg = g.inC / g.groups;
  const D = icg * g.kh * g.kw;
  let k = 0;
  for (let p = from; p < positions.length && positions[p].image < first + count; p++, k++) {
    const { image, oy, ox } = positions[p];
    const b = image - first;
    for (let gi = 0; gi < g.groups; gi++) {
      const X = out.groups[gi].X;
      const base = (row0 + k) * D;
      let d = 0;
      for (let c = 0; c < icg; c++) {
        const ch = gi * icg + c;
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.padTop + ky * g.dh;
          for (let kx = 0; kx < g.kw; kx++, d++) {
            const ix = ox * g.sw - g.padLeft + kx * g.dw;
            X[base + d] = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW ? input[((b * g.inC + ch) * g.inH + iy) * g.inW + ix] : 0;
          }
        }
      }
    }
  }
  return k;
}

/** Fills rows of Y (the output at each position, minus the bias) for the positions in a batch. */
export function fillOutputs(
  g: ConvGeometry,
  output: Float32Array,
  bias: Float32Array | undefined,
  first: number,
  count: number,
  positions: Position[],
  from: number,
  out: LayerData,
  row0: number,
): number {
  const ocg = g.outC / g.groups;
  let k = 0;
  for (let p = from; p < positions.length && positions[p].image < first + count; p++, k++) {
    const { image, oy, ox } = positions[p];
    const b = image - first;
    for (let gi = 0; gi < g.groups; gi++) {
      const Y = out.groups[gi].Y;
      for (let o = 0; o < ocg; o++) {
        const ch = gi * ocg + o;
        Y[(row0 + k) * ocg + o] = output[((b * g.outC + ch) * g.outH + oy) * g.outW + ox] - (bias ? bias[ch] : 0);
      }
    }
  }
  return k;
}

export function allocLayerData(g: ConvGeometry, n: number): LayerData {
  const D = (g.inC / g.groups) * g.kh * g.kw;
  const OC = g.outC / g.groups;
  return { N: n, D, OC, groups: Array.from({ length: g.groups }, () => ({ X: new Float32Array(n * D), Y: new Float32Array(n * OC) })) };
}
