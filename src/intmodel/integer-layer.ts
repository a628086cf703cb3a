// The arrays of one integer layer as the .hwq file holds them: weights in canonical order (output channel first)
// and the integer bias of the accumulator convention (see format.ts).
import { numel } from '../onnx/tensor.js';
import type { ActQuant } from './activation.js';
import { clampCode, roundHalfAway } from './grid.js';
import { INT32_MAX, INT32_MIN } from './requant.js';

/** Dims and values of `w` with axis `axis` moved to the front, the other axes keeping their order. */
export function canonicalWeights(w: Int8Array, dims: number[], axis: number): { data: Int8Array; dims: number[] } {
  const perm = [axis, ...dims.map((_, i) => i).filter((i) => i !== axis)];
  const outDims = perm.map((p) => dims[p]);
  if (axis === 0) return { data: Int8Array.from(w), dims: outDims };
  const strides = dims.map((_, i) => numel(dims.slice(i + 1)));
  const out = new Int8Array(w.length);
  const idx = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * strides[perm[k]];
    out[o] = w[src];
    for (let k = perm.length - 1; k >= 0; k--) {
      if (++idx[k] < outDims[k]) break;
      idx[k] = 0;
    }
  }
  return { data: out, dims: outDims };
}

/** Round half away from zero, saturated to int32. */
function roundInt32(x: number): number {
  return clampCode(roundHalfAway(x), INT32_MIN, INT32_MAX);
}

/**
 * The bias in accumulator units, round(bias / (sIn * sW[c])): what the accumulator adds before any zero-point
 * correction (the integer QDQ form stores it as an int32 DequantizeLinear of that scale).
 */
export function biasCodes(bias: ArrayLike<number> | undefined, act: ActQuant, wScales: ArrayLike<number>): Int32Array {
  // A dead channel (scale 0) has no accumulator scale to express its bias in; its output is the float bias.
  return Int32Array.from(wScales, (s, c) => {
    const unit = act.scale * s;
    return bias && unit > 0 ? roundInt32(bias[c] / unit) : 0;
  });
}

/**
 * The integer bias: round(bias / (sIn * sW[c])) - zeroPoint * sum_k w[c][k], so the accumulator over raw input
 * codes needs no zero-point correction. Canonical weights (output channel first).
 */
export function integerBias(bias: ArrayLike<number> | undefined, act: ActQuant, wScales: ArrayLike<number>, canonical: Int8Array): Int32Array {
  const C = wScales.length;
  const per = canonical.length / C;
  const b = biasCodes(bias, act, wScales);
  const out = new Int32Array(C);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let k = 0; k < per; k++) sum += canonical[c * per + k];
    out[c] = roundInt32(b[c] - act.zeroPoint * sum);
  }
  return out;
}
