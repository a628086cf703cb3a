// Clipping-range searches: given the distribution of a tensor's values, the clip value that minimizes a
// quantization error. Shared by weights (per channel, on exact values) and activations (per layer, on
// histograms). All are pure functions.
import { Histogram } from './act-stats.js';


/** Quantize-dequantize of a magnitude v >= 0 with `levels` steps up to `clip`. */
function qdq(v: number, clip: number, levels: number): number {
  const step = clip / levels;
  return Math.min(Math.round(v / step), levels) * step;
}

/** sum count * |v - Q(v)|^p over a histogram (bin centres), for one clip value. */
export function histogramError(h: Histogram, clip: number, levels: number, p: number): number {
  let e = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i];
    if (c === 0) continue;
    const v = (i + 0.5) * h.width;
    e += c * Math.abs(v - qdq(v, clip, levels)) ** p;
  }
  return e;
}

/** The clip in (0, top] minimizing the Lp error (p = 2: MSE), by a grid then a local refinement. */
export function bestClipHistogram(h: Histogram, levels: number, p: number, grid = 200): number {
  const top = h.width * h.counts.length;
  let best = top, bestE = Infinity;
  for (let k = 1; k <= grid; k++) {
    const c = (top * k) / grid;
    const e = histogramError(h, c, levels, p);
    if (e < bestE) { bestE = e; best = c; }
  }
  // refine within one grid step on each side
  const step = top / grid;
  for (let k = -10; k <= 10; k++) {
    const c = best + (step * k) / 10;
    if (c <= 0 || c > top) continue;
    const e = histogramError(h, c, levels, p);
    if (e < bestE) { bestE = e; best = c; }
  }
  return best;
}

/** The clip of a set of exact values (|w|) minimizing the Lp error, on a grid of fractions of the max. */
export function bestClipValues(values: ArrayLike<number>, levels: number, p: number, grid = 100): number {
  let top = 0;
  for (let i = 0; i < values.length; i++) top = Math.max(top, Math.abs(values[i]));
  if (top === 0) return 0;
  let best = top, bestE = Infinity;
  for (let k = grid; k >= 1; k--) {
    const c = (top * k) / grid;
    let e = 0;
    for (let i = 0; i < values.length; i++) {
      const v = Math.abs(values[i]);
      e += Math.abs(v - qdq(v, c, levels)) ** p;
    }
    if (e < bestE) { bestE = e; best = c; }
  }
  return best;
}

/**
 * TensorRT's entropy calibration: the clip threshold whose quantized distribution (levels bins) is closest
 * in KL divergence to the reference distribution clipped at the same threshold (outliers folded into the
 * last bin). Scans thresholds from `levels` bins to the whole histogram.
 */
export function klClip(h: Histogram, levels: number): number {
  const n = h.counts.length;
  if (levels >= n) return h.width * n;
  let best = n, bestKl = Infinity;
  for (let i = Math.max(levels, 1); i <= n; i++) {
    const p = new Float64Array(i);
    for (let j = 0; j < i; j++) p[j] = h.counts[j];
    let outliers = 0;
    for (let j = i; j < n; j++) outliers += h.counts[j];
    p[i - 1] += outliers;
    // quantize the first i bins into `levels` groups, spreading each group's mass over its non-empty bins
    const q = new Float64Array(i);
    for (let g = 0; g < levels; g++) {
      const start = Math.floor((g * i) / levels), end = Math.floor(((g + 1) * i) / levels);
      let mass = 0, nonzero = 0;
      for (let j = start; j < end; j++) if (h.counts[j] > 0) { mass += h.counts[j]; nonzero++; }
      for (let j = start; j < end; j++) if (h.counts[j] > 0) q[j] = mass / nonzero;
    }
    let ps = 0, qs = 0;
    for (let j = 0; j < i; j++) { ps += p[j]; qs += q[j]; }
    if (ps === 0 || qs === 0) continue;
    let kl = 0;
    for (let j = 0; j < i; j++) {
      if (p[j] === 0) continue;
      const pj = p[j] / ps;
      const qj = q[j] / qs;
      kl += qj > 0 ? pj * Math.log(pj / qj) : pj * 30; // an empty quantized bin where P has mass: a large penalty
    }
    if (kl < bestKl) { bestKl = kl; best = i; }
  }
  return best * h.width;
}
