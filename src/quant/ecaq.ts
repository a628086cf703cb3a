// Error Compensated Activation Quantization (Bit-split paper, section 3.4): each input channel c of a layer
// gets its own scale beta[c] (the MSE clip of that channel's values / levels); the layer's float weights take
// beta (W_beta[:, c] = beta[c] W[:, c]) and its sampled inputs become the integer codes round(x / beta[c]), so the
// weight method then learns the mapping from the codes the layer will really see to the float output.
import { bestClipHistogram } from './clip-search.js';
import { positiveLevels } from '../intmodel/grid.js';
import type { Histogram } from './act-stats.js';
import type { LayerData } from './layer-data.js';
import type { LayerSite } from './prepare.js';
import type { ActQuant } from './types.js';
import { fakeQuantize } from './qdq.js';
import { weightInputChannel } from './methods.js';

const BINS = 256;

/** beta per input channel from the sampled patches (channel of element d in group g: g*icg + floor(d/window)). */
export function channelScales(data: LayerData, inC: number, bits: number, signed: boolean): Float32Array {
  const icg = inC / data.groups.length;
  const window = data.D / icg;
  const beta = new Float32Array(inC);
  const values = new Float32Array(data.N * window);
  data.groups.forEach((g, gi) => {
    for (let c = 0; c < icg; c++) {
      for (let n = 0; n < data.N; n++) for (let k = 0; k < window; k++) values[n * window + k] = g.X[n * data.D + c * window + k];
      beta[gi * icg + c] = channelScale(values, bits, signed);
    }
  });
  return beta;
}

/** The MSE-clipped scale of one channel's values (1 for a channel that is always zero: any scale represents it). */
export function channelScale(values: Float32Array, bits: number, signed: boolean): number {
  const levels = positiveLevels(bits, signed);
  let top = 0;
  for (let i = 0; i < values.length; i++) top = Math.max(top, signed ? Math.abs(values[i]) : values[i]);
  if (top <= 0) return 1;
  const h: Histogram = { counts: new Float64Array(BINS), width: top / BINS };
  for (let i = 0; i < values.length; i++) {
    const m = signed ? Math.abs(values[i]) : Math.max(0, values[i]);
    h.counts[Math.min(BINS - 1, Math.floor(m / h.width))]++;
  }
  return bestClipHistogram(h, levels, 2) / levels;
}

/** The ActQuant of an ECAQ layer input: codes of width `bits` after dividing by beta (scale 1). */
export function ecaqAct(beta: Float32Array, bits: number, signed: boolean): ActQuant {
  return { bits, signed, scale: 1, zeroPoint: 0, channelScales: beta };
}

/** The layer with beta folded into its float weights (input-channel axis). */
export function foldBeta(site: LayerSite, beta: Float32Array): LayerSite {
  const channel = weightInputChannel(site.kind, site.weightShape, site.channelAxis, beta.length);
  return { ...site, weights: site.weights.map((v, j) => v * beta[channel(j)]) };
}

/**
 * ECAQ added to an already quantized layer whose output channels each read one input channel (depthwise):
 * the input is divided by beta[c] and output channel o's weight scale takes beta of the channel it reads, so
 * the integers stay and the layer computes exactly what the fold before the fit would have given.
 */
export function foldBetaIntoScales(wScales: Float32Array, beta: Float32Array): Float32Array {
  const perInput = wScales.length / beta.length;
  return wScales.map((s, o) => s * beta[Math.floor(o / perInput)]);
}

/** The sampled patches as the codes the layer sees: x * (1/beta[c]) in float32, then the scale-1 quantizer,
 *  exactly as the QDQ graph's Mul -> Clip -> QuantizeLinear computes it (`round` false: the scaled values
 *  before the quantizer, for a fit to unquantized inputs). */
export function ecaqCodesInPlace(data: LayerData, act: ActQuant, round = true): void {
  const beta = act.channelScales!;
  const icg = beta.length / data.groups.length;
  const window = data.D / icg;
  const unit: ActQuant = { bits: act.bits, signed: act.signed, scale: 1, zeroPoint: 0 };
  data.groups.forEach((g, gi) => {
    for (let d = 0; d < data.D; d++) {
      const inv = Math.fround(1 / beta[gi * icg + Math.floor(d / window)]);
      for (let n = 0; n < data.N; n++) {
        const v = Math.fround(g.X[n * data.D + d] * inv);
        g.X[n * data.D + d] = round ? fakeQuantize(v, unit) : v;
      }
    }
  });
}
