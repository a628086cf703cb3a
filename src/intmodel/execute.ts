// The integer model of one compute layer: input codes in, output codes out, exactly as fixed-point hardware
// computes them (the accumulator convention of format.ts, requantization of requant.ts). A convolution is
// the GEMM of its im2col patches (padding takes the input zero point); a fully connected layer is a GEMM
// with one output pixel. The RTL flow checks the generated core against this, bit for bit.
import type { ConvLayer, FcLayer } from '../model/ir.js';
import { UserError } from '../errors.js';
import type { HwqLayer } from './format.js';
import { requantize } from './requant.js';

export interface IntegerLayer {
  layer: ConvLayer | FcLayer;
  /** Canonical weights: [outC][K], K = (inC/groups)*kh*kw in (channel, row, column) order, or [out][in]. */
  weights: ArrayLike<number>;
  /** Integer bias per output channel (already holding -zeroPoint * sum w), or null. */
  bias: ArrayLike<number> | null;
  /** Input zero point: the code padding takes. */
  inZeroPoint: number;
  /** Per output channel requantization: M0 (Q31) and shift. */
  m0: ArrayLike<number>;
  shift: ArrayLike<number>;
  /** Output zero point and code range (the next layer's, narrowed by ReLU/ReLU6 on the way). */
  outZeroPoint: number;
  min: number;
  max: number;
}

/** The integer layer of a .hwq layer that quantizes its activations and requantizes its output. */
export function integerLayerOf(l: HwqLayer, source: string): IntegerLayer {
  const h = l.header;
  const what = `'${source}' layer '${h.name}'`;
  if (h.layer.kind !== 'conv' && h.layer.kind !== 'fc') throw new UserError(`${what} is a ${h.layer.kind} layer; the integer executor runs conv and fc layers`);
  if (!h.act) throw new UserError(`${what} reads float activations (weight-only quantization): it has no integer model`);
  if (!l.requant || !h.requant) throw new UserError(`${what} has no requantization (its output does not feed exactly one quantized layer)`);
  if (l.bias && !(l.bias instanceof Int32Array)) throw new UserError(`${what} has a float bias: it has no integer model`);
  return {
    layer: h.layer, weights: l.weights, bias: l.bias, inZeroPoint: h.act.zeroPoint, m0: l.requant.m0, shift: l.requant.shift,
    outZeroPoint: h.requant.zeroPoint, min: h.requant.min, max: h.requant.max,
  };
}

/** Output pixels, reduction length per group, output channels per group and groups of a layer's GEMM. */
export interface LayerGemmShape {
  M: number;
  K: number;
  N: number;
  groups: number;
}

export function layerGemmShape(l: ConvLayer | FcLayer): LayerGemmShape {
  if (l.kind === 'fc') return { M: 1, K: l.inFeatures, N: l.outFeatures, groups: 1 };
  return { M: l.output.h * l.output.w, K: (l.inC / l.groups) * l.kernel[0] * l.kernel[1], N: l.outC / l.groups, groups: l.groups };
}

/**
 * The im2col patches of group g: [M][K], pixel m = oy*outW + ox, element k = (ci*kh + ky)*kw + kx of input
 * channel g*(inC/groups) + ci. `input` is [C][H][W] codes; padding reads `padCode`.
 */
export function im2col(l: ConvLayer | FcLayer, input: ArrayLike<number>, padCode: number, group = 0): Int32Array {
  if (l.kind === 'fc') return Int32Array.from(input);
  const { M, K } = layerGemmShape(l);
  const { h: H, w: W } = l.input;
  const [kh, kw] = l.kernel;
  const cin = l.inC / l.groups;
  const out = new Int32Array(M * K);
  for (let oy = 0; oy < l.output.h; oy++) for (let ox = 0; ox < l.output.w; ox++) {
    const m = oy * l.output.w + ox;
    for (let ci = 0; ci < cin; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const y = oy * l.stride[0] - l.pad[0] + ky * l.dilation[0];
      const x = ox * l.stride[1] - l.pad[1] + kx * l.dilation[1];
      const inside = y >= 0 && y < H && x >= 0 && x < W;
      out[m * K + (ci * kh + ky) * kw + kx] = inside ? input[((group * cin + ci) * H + y) * W + x] : padCode;
    }
  }
  return out;
}

/** The int32 accumulators [outC][M]: sum_k w[c][k] * patch[m][k] + bias[c], wrapping like a 32-bit accumulator. */
export function layerAccumulators(L: IntegerLayer, input: ArrayLike<number>): Int32Array {
  const { M, K, N, groups } = layerGemmShape(L.layer);
  const out = new Int32Array(groups * N * M);
  for (let g = 0; g < groups; g++) {
    const a = im2col(L.layer, input, L.inZeroPoint, g);
    for (let n = 0; n < N; n++) {
      const c = g * N + n;
      for (let m = 0; m < M; m++) {
        let s = L.bias ? L.bias[c] : 0;
        for (let k = 0; k < K; k++) s = (s + L.weights[c * K + k] * a[m * K + k]) | 0;
        out[c * M + m] = s;
      }
    }
  }
  return out;
}

/**
 * The layer's output codes [outC][M] (M = outH*outW, 1 for fc). With `residual` ([outC][M] codes in the
 * output's scale and zero point) the two tensors are added: the residual code takes the zero point's place
 * after requantization, since (q1 - zp) + (q2 - zp) + zp = q1 + q2 - zp.
 */
export function runIntegerLayer(L: IntegerLayer, input: ArrayLike<number>, residual?: ArrayLike<number>): Int32Array {
  const acc = layerAccumulators(L, input);
  const M = acc.length / L.m0.length;
  if (residual && residual.length !== acc.length) throw new RangeError(`residual has ${residual.length} codes, the layer outputs ${acc.length}`);
  const out = new Int32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const c = Math.floor(i / M);
    out[i] = requantize(acc[i], L.m0[c], L.shift[c], residual ? residual[i] : L.outZeroPoint, L.min, L.max);
  }
  return out;
}
