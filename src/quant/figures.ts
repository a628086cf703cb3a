// The per-layer figures of the quantization report and the activation quantizer of a clip: small pure functions
// the passes, LAPQ and the report share.
import type { LayerSite } from './prepare.js';
import type { ActQuant, QuantLayer } from './types.js';
import { positiveLevels } from '../intmodel/grid.js';

export function sqnrDb(ref: ArrayLike<number>, approx: (i: number) => number): number {
  let s = 0, n = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = ref[i] - approx(i);
    s += ref[i] * ref[i];
    n += d * d;
  }
  return n === 0 ? Infinity : 10 * Math.log10(s / n);
}

export function actQuantFor(clip: number, bits: number, signed: boolean): ActQuant {
  const levels = positiveLevels(bits, signed);
  const scale = clip > 0 ? clip / levels : 1;
  return { bits, signed, scale, zeroPoint: 0 };
}

/** Weight j (initializer layout) of a quantized layer as the float it encodes. */
export function dequantizedWeight(l: QuantLayer): (j: number) => number {
  const per = l.wInt.length / l.wScales.length;
  return (j) => l.wInt[j] * l.wScales[l.channelAxis === 0 ? Math.floor(j / per) : j % l.weightShape[1]];
}

/** The figures of a quantized layer against its float weights. */
export interface LayerFigures {
  aScale: number | null;
  aClip: number | null;
  /** Range of the per-channel weight scales. */
  wScaleMin: number;
  wScaleMax: number;
  /** 10 log10(|w|^2 / |w - Q(w)|^2) over the whole layer. */
  weightSqnrDb: number;
}

export function layerFigures(s: LayerSite, l: QuantLayer): LayerFigures {
  const levels = l.act ? positiveLevels(l.act.bits, l.act.signed) : 0;
  return {
    aScale: l.act ? l.act.scale : null,
    aClip: l.act ? l.act.scale * levels : null,
    wScaleMin: Math.min(...l.wScales),
    wScaleMax: Math.max(...l.wScales),
    weightSqnrDb: sqnrDb(s.weights, dequantizedWeight(l)),
  };
}
