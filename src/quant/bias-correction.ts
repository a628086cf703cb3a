// Bias correction: weight quantization shifts each output channel's mean by sum_d (Q(w)_cd - w_cd) E[x_d];
// subtracting that shift from the bias removes the systematic part of the error (Nagel et al. 2019, Banner
// et al. 2019). E[x] comes from the calibration set: the mean of each reduction element (sampled patches) or
// of each input channel.
import { toChannels } from './methods.js';
import type { LayerSite } from './prepare.js';

/**
 * The corrected bias of a layer. `meanOf(c, d)` is E[x] of reduction element d of output channel c (in the
 * [outC][per] order of toChannels), e.g. the mean of its input channel.
 */
export function correctedBias(site: LayerSite, q: Int8Array, scales: Float32Array, meanOf: (c: number, d: number) => number): Float32Array {
  const { oc, per, data: w } = toChannels(site.weights, site.weightShape, site.channelAxis);
  const qc = toChannels(Float32Array.from(q), site.weightShape, site.channelAxis).data;
  const out = new Float32Array(oc);
  for (let c = 0; c < oc; c++) {
    let shift = 0;
    for (let d = 0; d < per; d++) shift += (qc[c * per + d] * scales[c] - w[c * per + d]) * meanOf(c, d);
    out[c] = (site.bias ? site.bias[c] : 0) - shift;
  }
  return out;
}

/** meanOf for a layer from per-input-channel means: element d of output channel c reads input channel
 *  (group of c) * icg + floor(d / (kh*kw)). */
export function channelMeanOf(site: LayerSite, groups: number, channelMeans: Float64Array): (c: number, d: number) => number {
  const oc = site.weightShape[site.channelAxis];
  const per = site.weights.length / oc;
  const icg = site.kind === 'conv' ? site.weightShape[1] : per;
  const window = per / icg;
  const ocg = oc / groups;
  return (c, d) => channelMeans[Math.floor(c / ocg) * icg + Math.floor(d / window)];
}
