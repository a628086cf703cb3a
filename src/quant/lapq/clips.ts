// The space LAPQ searches: per layer an activation clip (the largest representable input magnitude) and a
// per-channel weight clip vector times a per-layer multiplier. Weights keep per-channel scales, each scaled by
// the layer's multiplier, and are re-rounded from the float weights at every point, so the multiplier moves
// the clipping (not only the gain). The search vector holds log-clips and log-multipliers (positivity).
import { GraphView } from '../../onnx/graph.js';
import { type ActStats, type Histogram, magnitudeHistogram } from '../act-stats.js';
import { bestClipHistogram } from '../clip-search.js';
import { positiveLevels } from '../../intmodel/grid.js';
import { fromChannels, toChannels } from '../methods.js';
import { actQuantFor } from '../figures.js';
import type { QuantLayer, QuantModel } from '../types.js';

export interface ClipState {
  /** Per layer: the activation clip; NaN for float (unquantized) activations. */
  actClip: Float64Array;
  /** Per layer: each output channel's weight clip. */
  wClip: Float64Array[];
  /** Per layer: the factor on wClip (1 at the Lp initialization). */
  wMult: Float64Array;
}

/** One coordinate of the search: an activation clip shared by the layers reading one tensor, or one layer's weight multiplier. */
export interface ClipParam {
  kind: 'act' | 'weight';
  /** The activation tensor, or the layer name. */
  label: string;
  layers: number[];
  bits: number;
}

/** A layer's float weights in channel-major order. */
interface ChannelWeights {
  oc: number;
  per: number;
  data: Float32Array;
}

/**
 * bestClipValues (clip-search.ts) for one channel at several p in one pass: the same grid of fractions of
 * max |w|, scanned from the top, strict improvement; the rounding error of each value is computed once and
 * raised to every p. Integer and half-integer p use products and a square root (bit-identical to ** for
 * p = 2 and 3, and within an ulp otherwise); this is where LAPQ's initialization spends its time.
 */
export function bestClipValuesMulti(values: ArrayLike<number>, levels: number, ps: readonly number[], grid = 100): Float64Array {
  let top = 0;
  for (let i = 0; i < values.length; i++) top = Math.max(top, Math.abs(values[i]));
  const best = new Float64Array(ps.length).fill(top);
  if (top === 0) return best.fill(0);
  const mode = ps.map((p) => (p === 2 ? 2 : p === 2.5 ? 25 : p === 3 ? 3 : p === 3.5 ? 35 : p === 4 ? 4 : 0));
  const bestE = new Float64Array(ps.length).fill(Infinity);
  const e = new Float64Array(ps.length);
  for (let k = grid; k >= 1; k--) {
    const c = (top * k) / grid;
    const step = c / levels;
    e.fill(0);
    for (let i = 0; i < values.length; i++) {
      const v = Math.abs(values[i]);
      const d = Math.abs(v - Math.min(Math.round(v / step), levels) * step);
      if (d === 0) continue;
      for (let m = 0; m < ps.length; m++) {
        switch (mode[m]) {
          case 2: e[m] += d * d; break;
          case 25: e[m] += d * d * Math.sqrt(d); break;
          case 3: e[m] += d * d * d; break;
          case 35: e[m] += d * d * d * Math.sqrt(d); break;
          case 4: { const d2 = d * d; e[m] += d2 * d2; break; }
          default: e[m] += d ** ps[m];
        }
      }
    }
    for (let m = 0; m < ps.length; m++) if (e[m] < bestE[m]) { bestE[m] = e[m]; best[m] = c; }
  }
  return best;
}

/** Layer i's bias for its integer weights `q` (initializer layout) at per-channel `scales`. */
export type CorrectBias = (layer: number, q: Int8Array, scales: Float32Array) => Float32Array | undefined;

export class ClipSpace {
  private readonly weights: ChannelWeights[];
  private readonly histograms = new Map<number, Histogram>();

  /** `frozenWeights`: the base model's integer weights and scales stay as they are (weights from another
   *  method, e.g. Bit-split); only the activation clips are searched. */
  constructor(readonly base: QuantModel, readonly frozenWeights = false, private readonly correctBias?: CorrectBias) {
    const view = new GraphView(base.prepared);
    this.weights = base.layers.map((l) => {
      const t = view.initializer(l.weightName);
      if (!t || !(t.data instanceof Float32Array) || t.data.length !== l.wInt.length) {
        throw new Error(`internal: layer '${l.name}' has no float weight '${l.weightName}' of ${l.wInt.length} values in the prepared model`);
      }
      return toChannels(t.data, l.weightShape, l.channelAxis);
    });
  }

  /** Layer-wise Lp clips (activations from their calibration histograms, weights per channel). */
  lpState(p: number, stats: Map<string, ActStats>): ClipState {
    return this.lpStates([p], stats)[0];
  }

  /** lpState for several p, sharing the weight pass. */
  lpStates(ps: readonly number[], stats: Map<string, ActStats>): ClipState[] {
    const layers = this.base.layers;
    if (this.frozenWeights) return ps.map((p) => this.lpActs(p, stats, layers.map(() => new Float64Array(0))));
    const wClips = layers.map((l, i) => {
      const w = this.weights[i];
      const levels = positiveLevels(l.wBits, true);
      return Array.from({ length: w.oc }, (_, c) => bestClipValuesMulti(w.data.subarray(c * w.per, (c + 1) * w.per), levels, ps));
    });
    return ps.map((p, k) => this.lpActs(p, stats, layers.map((_, i) => Float64Array.from(wClips[i], (per) => per[k]))));
  }

  private lpActs(p: number, stats: Map<string, ActStats>, wClip: Float64Array[]): ClipState {
    const layers = this.base.layers;
    const actClip = new Float64Array(layers.length).fill(NaN);
    layers.forEach((l, i) => {
      if (!l.act) return;
      let h = this.histograms.get(i);
      if (!h) {
        const st = stats.get(l.inputTensor);
        if (!st) throw new Error(`internal: no calibration statistics for '${l.inputTensor}'`);
        h = magnitudeHistogram(st, l.act.signed);
        this.histograms.set(i, h);
      }
      actClip[i] = bestClipHistogram(h, positiveLevels(l.act.bits, l.act.signed), p);
    });
    return { actClip, wClip, wMult: new Float64Array(layers.length).fill(1) };
  }

  /**
   * The coordinates searched: activation clips (one per distinct input tensor and format) and weight
   * multipliers of the quantizers below 8 bits (the first/last-layer exception stays at its Lp clips), or of
   * every quantizer when all are 8-bit or `all` is set.
   */
  params(all = false): ClipParam[] {
    const out: ClipParam[] = [];
    const acts = new Map<string, ClipParam>();
    this.base.layers.forEach((l, i) => {
      if (!l.act) return;
      const key = JSON.stringify([l.inputTensor, l.act.bits, l.act.signed]);
      const hit = acts.get(key);
      if (hit) hit.layers.push(i);
      else {
        const p: ClipParam = { kind: 'act', label: l.inputTensor, layers: [i], bits: l.act.bits };
        acts.set(key, p);
        out.push(p);
      }
    });
    if (!this.frozenWeights) this.base.layers.forEach((l, i) => out.push({ kind: 'weight', label: l.name, layers: [i], bits: l.wBits }));
    const low = out.filter((p) => p.bits < 8);
    return all || low.length === 0 ? out : low;
  }

  toVector(s: ClipState, params: ClipParam[]): Float64Array {
    return Float64Array.from(params, (p) => Math.log(p.kind === 'act' ? s.actClip[p.layers[0]] : s.wMult[p.layers[0]]));
  }

  fromVector(s: ClipState, params: ClipParam[], x: ArrayLike<number>): ClipState {
    const actClip = s.actClip.slice();
    const wMult = s.wMult.slice();
    params.forEach((p, k) => {
      for (const i of p.layers) {
        if (p.kind === 'act') actClip[i] = Math.exp(x[k]);
        else wMult[i] = Math.exp(x[k]);
      }
    });
    return { actClip, wClip: s.wClip, wMult };
  }

  /** The quantized model at a state: activation formats from the clips, weights re-rounded at the scaled clips. */
  model(s: ClipState, method = 'lapq'): QuantModel {
    const layers = this.base.layers.map((l, i): QuantLayer => {
      const act = l.act ? actQuantFor(s.actClip[i], l.act.bits, l.act.signed) : undefined;
      if (this.frozenWeights) return { ...l, act };
      const w = this.weights[i];
      const levels = positiveLevels(l.wBits, true);
      const q = new Int8Array(w.data.length);
      const wScales = new Float32Array(w.oc);
      for (let c = 0; c < w.oc; c++) {
        const clip = s.wClip[i][c] * s.wMult[i];
        // Same rounding as quantizePerChannel: the float64 step, narrow symmetric range.
        const step = clip > 0 ? clip / levels : 1;
        wScales[c] = step;
        for (let j = c * w.per; j < (c + 1) * w.per; j++) q[j] = Math.max(-levels, Math.min(levels, Math.round(w.data[j] / step)));
      }
      const wInt = fromChannels(q, l.weightShape, l.channelAxis, (n) => new Int8Array(n));
      return { ...l, wInt, wScales, act, bias: this.correctBias ? this.correctBias(i, wInt, wScales) : l.bias };
    });
    return { ...this.base, weightMethod: this.frozenWeights ? this.base.weightMethod : method, actMethod: this.base.layers.some((l) => l.act) ? method : 'none', layers };
  }
}
