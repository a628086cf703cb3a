// How far an optimized quantization moved away from rounding (the Bit-split paper's Fig. 6): the share of
// integer weights that differ from a reference quantization of the same layer, the distribution of |change|,
// and the per-channel scales of both.
import { clampSymmetric } from '../intmodel/grid.js';

export interface IntegerChange {
  weights: number;
  changed: number;
  /** histogram[k-1] counts |q - ref| = k for k = 1..buckets-1; the last bucket counts |q - ref| >= buckets. */
  histogram: number[];
}

export function integerChange(ref: ArrayLike<number>, q: ArrayLike<number>, buckets = 4): IntegerChange {
  if (ref.length !== q.length) throw new Error(`internal: comparing ${ref.length} with ${q.length} weights`);
  const histogram = new Array<number>(buckets).fill(0);
  let changed = 0;
  for (let i = 0; i < q.length; i++) {
    const d = Math.abs(q[i] - ref[i]);
    if (d === 0) continue;
    changed++;
    histogram[Math.min(d, buckets) - 1]++;
  }
  return { weights: q.length, changed, histogram };
}

export function addChanges(a: IntegerChange, b: IntegerChange): IntegerChange {
  return { weights: a.weights + b.weights, changed: a.changed + b.changed, histogram: a.histogram.map((v, i) => v + b.histogram[i]) };
}

/**
 * Plain rounding of float weights at given per-channel scales, clipped to the signed `bits` range: the
 * integers a rounding quantizer would pick with the optimizer's own scales, so a difference from the
 * optimizer's integers is a choice it made, not a consequence of a different scale.
 * `channelOf(j)` maps an element of the initializer to its output channel.
 */
export function roundAtScales(w: ArrayLike<number>, scales: ArrayLike<number>, bits: number, channelOf: (j: number) => number): Int8Array {
  const q = new Int8Array(w.length);
  for (let j = 0; j < w.length; j++) q[j] = clampSymmetric(Math.round(w[j] / scales[channelOf(j)]), bits);
  return q;
}
