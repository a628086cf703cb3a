// `--smooth auto`: the smoothing strength chosen per layer. One alpha for every layer trades activation error
// for weight error the same way everywhere, but the trade differs: MobileNetV2's late 1x1 layers read a
// residual stream whose few outlier channels set the activation range (worth moving into the weights), while
// with 4-bit weights most layers lose more in the weights than their inputs gain. So each candidate is scored
// by the layer's own output error on its sampled patches, with both sides quantized by quick stand-ins (inputs
// x / s at the activation bits with an MSE clip, weights w * s rounded per channel with an MSE clip), and the
// lowest wins; leaving the layer unsmoothed is a candidate, so the proxy never prefers a smoothing it scores
// worse than none.
import { buildProblems, reconstructionError } from './bitsplit/gram.js';
import { bestClipValues } from './clip-search.js';
import { positiveLevels } from '../intmodel/grid.js';
import { foldBeta } from './ecaq.js';
import type { LayerData } from './layer-data.js';
import { quantizePerChannel, toChannels } from './methods.js';
import type { LayerSite } from './prepare.js';
import { fakeQuantize } from './qdq.js';
import { channelMaxAbs, smoothingScales, weightMaxAbsPerInput } from './smooth.js';

/** Strengths --smooth auto tries on each layer; null leaves the layer unsmoothed. */
export const SMOOTH_CANDIDATES: ReadonlyArray<number | null> = [null, 0.1, 0.3, 0.5, 0.7, 0.9];

/** Values the proxy's activation clip is searched on (a strided subsample of the patches). */
const CLIP_SAMPLE = 1 << 16;

export interface SmoothChoice {
  /** The chosen strength, null for none. */
  alpha: number | null;
  /** Proxy output error (mean square per sample, summed over output channels) of each candidate, in SMOOTH_CANDIDATES order. */
  errors: number[];
}

/** The patches divided per input channel by `scales` (a copy; channel of element d in group g: g*icg + floor(d/window)). */
function dividedPatches(data: LayerData, scales: Float32Array | null): Float32Array[] {
  const icg = scales ? scales.length / data.groups.length : 1;
  const window = data.D / icg;
  return data.groups.map((g, gi) => {
    const X = Float32Array.from(g.X);
    if (!scales) return X;
    for (let d = 0; d < data.D; d++) {
      const inv = Math.fround(1 / scales[gi * icg + Math.floor(d / window)]);
      for (let n = 0; n < data.N; n++) X[n * data.D + d] = Math.fround(X[n * data.D + d] * inv);
    }
    return X;
  });
}

/** Fake-quantizes all groups' patches in place at `bits` with one per-layer clip minimizing their squared error. */
function quantizePatchesInPlace(Xs: Float32Array[], bits: number, signed: boolean): void {
  const total = Xs.reduce((n, X) => n + X.length, 0);
  const stride = Math.max(1, Math.floor(total / CLIP_SAMPLE));
  const sample: number[] = [];
  let k = 0;
  for (const X of Xs) for (let i = 0; i < X.length; i++, k++) if (k % stride === 0) sample.push(X[i]);
  const levels = positiveLevels(bits, signed);
  const clip = bestClipValues(sample, levels, 2);
  if (!(clip > 0)) return;
  const act = { bits, signed, scale: clip / levels, zeroPoint: 0 };
  for (const X of Xs) for (let i = 0; i < X.length; i++) X[i] = fakeQuantize(X[i], act);
}

/** Output error of the layer with inputs x / s quantized at `aBits` and weights w * s at `wBits` (s = 1 when null). */
export async function smoothedLayerError(site: LayerSite, data: LayerData, scales: Float32Array | null, aBits: number, wBits: number): Promise<number> {
  const folded = scales ? foldBeta(site, scales) : site;
  const w = quantizePerChannel(folded, wBits, (ch, levels) => bestClipValues(ch, levels, 2));
  // channel-major integers, the reconstruction problem's layout: output channel c of group g is row g*OC + c
  const q = toChannels(Float32Array.from(w.q), site.weightShape, site.channelAxis).data;
  const Xs = dividedPatches(data, scales);
  quantizePatchesInPlace(Xs, aBits, !site.unsignedInput);
  const problems = await buildProblems(Xs.map((X, gi) => ({ X, Y: data.groups[gi].Y })), data.N, data.D, data.OC);
  let e = 0;
  problems.forEach((p, gi) => {
    const rows = gi * data.OC * data.D;
    const J = reconstructionError(p, q.subarray(rows, rows + data.OC * data.D), w.scales.subarray(gi * data.OC, (gi + 1) * data.OC));
    for (const v of J) e += v;
  });
  return e;
}

/** The candidate strength with the lowest proxy output error on this layer's sampled patches. */
export async function chooseSmoothing(site: LayerSite, data: LayerData, inC: number, aBits: number, wBits: number): Promise<SmoothChoice> {
  const aMax = channelMaxAbs(data, inC);
  const wMax = weightMaxAbsPerInput(site, inC);
  const errors: number[] = [];
  for (const alpha of SMOOTH_CANDIDATES) {
    errors.push(await smoothedLayerError(site, data, alpha === null ? null : smoothingScales(aMax, wMax, alpha), aBits, wBits));
  }
  let best = 0;
  errors.forEach((e, k) => { if (e < errors[best]) best = k; });
  return { alpha: SMOOTH_CANDIDATES[best], errors };
}
