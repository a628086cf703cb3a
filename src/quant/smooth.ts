// Activation smoothing (SmoothQuant's migration, Xiao et al. 2023, applied to a CNN layer): each input channel c
// of a layer that reads many channels is divided by s[c] = a[c]^alpha / w[c]^(1 - alpha), with a[c] the channel's
// largest |x| on the sampled patches and w[c] the largest |weight| that reads it, and the weights take s[c]
// (foldBeta). alpha = 1 flattens the activations' channel ranges as ECAQ does, at the cost of spreading them over
// the weights of each output channel; alpha = 0 balances nothing towards the activations. In between, a few
// outlier channels (MobileNetV2's late residual stream) stop setting the per-layer activation range while the
// weights of each output channel keep most of their resolution. The division folds into the producing layer's
// per-channel requantization in hardware, as ECAQ's does.
import type { LayerData } from './layer-data.js';
import type { LayerSite } from './prepare.js';
import { weightInputChannel } from './methods.js';

/** Largest |x| of each input channel over the sampled patches (channel of element d in group g: g*icg + floor(d/window)). */
export function channelMaxAbs(data: LayerData, inC: number): Float64Array {
  const icg = inC / data.groups.length;
  const window = data.D / icg;
  const a = new Float64Array(inC);
  data.groups.forEach((g, gi) => {
    for (let n = 0; n < data.N; n++) {
      for (let d = 0; d < data.D; d++) {
        const c = gi * icg + Math.floor(d / window);
        const v = Math.abs(g.X[n * data.D + d]);
        if (v > a[c]) a[c] = v;
      }
    }
  });
  return a;
}

/** Largest |weight| reading each input channel. */
export function weightMaxAbsPerInput(site: Pick<LayerSite, 'kind' | 'weights' | 'weightShape' | 'channelAxis'>, inC: number): Float64Array {
  const w = new Float64Array(inC);
  const channel = weightInputChannel(site.kind, site.weightShape, site.channelAxis, inC);
  site.weights.forEach((v, j) => {
    const ch = channel(j);
    w[ch] = Math.max(w[ch], Math.abs(v));
  });
  return w;
}

/** s[c] = a[c]^alpha / w[c]^(1-alpha), scaled to geometric mean 1 (a common factor is absorbed by the per-layer
 *  activation scale and the per-output-channel weight scales); 1 where a channel or its weights are all zero. */
export function smoothingScales(actMax: ArrayLike<number>, weightMax: ArrayLike<number>, alpha: number): Float32Array {
  const s = new Float64Array(actMax.length);
  let logSum = 0;
  let live = 0;
  for (let c = 0; c < s.length; c++) {
    if (actMax[c] > 0 && weightMax[c] > 0) {
      s[c] = Math.pow(actMax[c], alpha) / Math.pow(weightMax[c], 1 - alpha);
      logSum += Math.log(s[c]);
      live++;
    }
  }
  const norm = live ? Math.exp(logSum / live) : 1;
  return Float32Array.from(s, (v) => (v > 0 ? v / norm : 1));
}
