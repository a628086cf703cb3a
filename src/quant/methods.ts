// The pluggable quantization methods: a weight quantizer turns one layer's float weights into integers with
// per-output-channel scales; an activation quantizer picks one layer input's (scale, zero point) from its
// calibration statistics. New methods (Bit-split, log, LAPQ) register here without touching the pipeline.
import { UserError, unknownChoice } from '../errors.js';
import { ActStats, magnitudeHistogram, weightedChannelHistogram } from './act-stats.js';
import { bestClipHistogram, bestClipValues, klClip } from './clip-search.js';
import { positiveLevels } from '../intmodel/grid.js';
import type { LayerSite } from './prepare.js';
import type { LayerData } from './layer-data.js';
import { solveLayer, type ReconMethod } from './bitsplit/solve-layer.js';

export interface WeightQuantResult {
  /** Integers in the initializer's layout. */
  q: Int8Array;
  scales: Float32Array;
  /** Signed integer width the values need when it exceeds the requested bits (log weights are powers of two:
   *  4-bit log codes reach +-64, an 8-bit integer). */
  storageBits?: number;
}

export interface WeightQuantizer {
  name: string;
  describe: string;
  /** Reconstruction methods need the layer's sampled inputs and float outputs (run layer by layer). */
  needsData?: boolean;
  quantize(site: LayerSite, bits: number, data?: LayerData): WeightQuantResult | Promise<WeightQuantResult>;
}

export interface ActQuantizer {
  name: string;
  describe: string;
  /** Needs per-channel samples in the statistics and the energy of the weights reading each input channel. */
  channelWeighted?: boolean;
  /** Returns the clip value (the largest representable magnitude). */
  clip(stats: ActStats, bits: number, signed: boolean, channelEnergy?: Float64Array): number;
}

/**
 * The energy of the weights that read each input channel: sum over the output channels and kernel window of
 * w^2. A rounding or clipping error e in input channel c moves the layer's outputs by about e^2 times this in
 * squared error (errors of different channels taken as uncorrelated), so it weighs where an activation clip
 * costs the layer's output. Conv weights [out][in/groups][kh][kw]; 2-D weights [out][in] (channel axis 0) or
 * [in][out] (axis 1).
 */
/** The energy per input channel when the statistics' channels (axis 1) are the weights' input channels. */
export function channelEnergyFor(site: Pick<LayerSite, 'kind' | 'weightShape' | 'channelAxis'>, stats: ActStats, weight: (j: number) => number): Float64Array | undefined {
  const n = stats.channelSamples?.length;
  if (!n) return undefined;
  const [r, c] = site.weightShape;
  const fits = site.kind === 'conv' ? n % c === 0 && r % (n / c) === 0 : n === (site.channelAxis === 0 ? c : r);
  return fits ? inputChannelEnergy(site.kind, site.weightShape, site.channelAxis, n, weight) : undefined;
}

/** How a conv weight [out][in/groups][kh][kw] reads its `inChannels` inputs: output channel o reads the input
 *  channels of group floor(o / ocg), each through `window` = kh*kw weights of the `per` = in/groups*kh*kw of o. */
function convReading(shape: number[], inChannels: number): { oc: number; icg: number; per: number; window: number; ocg: number } {
  const [oc, icg] = shape;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const groups = inChannels / icg;
  if (!Number.isInteger(groups) || oc % groups !== 0) throw new Error(`internal: ${inChannels} input channels do not fit a [${shape}] conv`);
  return { oc, icg, per, window: per / icg, ocg: oc / groups };
}

/** The input channel weight element j (initializer layout) reads: conv [out][in/groups][kh][kw], output channel o
 *  reading the input channels of group floor(o / (out / groups)); 2-D [out][in] (channel axis 0) or [in][out] (axis 1). */
export function weightInputChannel(kind: LayerSite['kind'], shape: number[], channelAxis: number, inChannels: number): (j: number) => number {
  if (kind === 'conv') {
    const { icg, per, window, ocg } = convReading(shape, inChannels);
    return (j) => Math.floor(Math.floor(j / per) / ocg) * icg + Math.floor((j % per) / window);
  }
  const [r, c] = shape;
  if ((channelAxis === 0 ? c : r) !== inChannels) throw new Error(`internal: ${inChannels} input channels for a [${shape}] weight`);
  return channelAxis === 0 ? (j) => j % c : (j) => Math.floor(j / c);
}

export function inputChannelEnergy(kind: LayerSite['kind'], shape: number[], channelAxis: number, inChannels: number, weight: (j: number) => number): Float64Array {
  if (kind === 'conv') {
    const { oc, icg, per, window, ocg } = convReading(shape, inChannels);
    const g = new Float64Array(inChannels);
    for (let o = 0; o < oc; o++) for (let c = 0; c < icg; c++) {
      let e = 0;
      for (let k = 0; k < window; k++) e += weight(o * per + c * window + k) ** 2;
      g[Math.floor(o / ocg) * icg + c] += e;
    }
    return g;
  }
  const [r, c] = shape;
  const g = new Float64Array(channelAxis === 0 ? c : r);
  if (g.length !== inChannels) throw new Error(`internal: ${inChannels} input channels for a [${shape}] weight`);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) g[channelAxis === 0 ? j : i] += weight(i * c + j) ** 2;
  return g;
}

export interface MethodOptions {
  /** Exponent of the Lp-norm clipping method. */
  p: number;
  /** Reconstruction methods (bitsplit, log): ridge towards the float weights, as a fraction of the mean
   *  diagonal of each layer's Gram matrix (bitsplit/gram.ts dampTowards); 0 or absent: none. */
  damp?: number;
}

/** Views a layer's weights per output channel: [outC][per] order, and back. */
export function toChannels(w: Float32Array, shape: number[], axis: number): { oc: number; per: number; data: Float32Array } {
  const oc = shape[axis];
  const per = w.length / oc;
  if (axis === 0) return { oc, per, data: w };
  if (shape.length !== 2 || axis !== 1) throw new Error(`internal: channel axis ${axis} of a ${shape.length}-D weight`);
  const [k, n] = shape;
  const data = new Float32Array(w.length);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) data[j * k + i] = w[i * n + j];
  return { oc, per, data };
}

export function fromChannels<T extends Int8Array | Float32Array>(data: T, shape: number[], axis: number, make: (n: number) => T): T {
  if (axis === 0) return data;
  const [k, n] = shape;
  const out = make(data.length);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[i * n + j] = data[j * k + i];
  return out;
}

/** Symmetric per-channel quantization with one clip per channel chosen by `clipOf`. */
export function quantizePerChannel(site: LayerSite, bits: number, clipOf: (channel: Float32Array, levels: number) => number): WeightQuantResult {
  const { oc, per, data } = toChannels(site.weights, site.weightShape, site.channelAxis);
  const levels = positiveLevels(bits, true);
  const q = new Int8Array(data.length);
  const scales = new Float32Array(oc);
  for (let c = 0; c < oc; c++) {
    const ch = data.subarray(c * per, (c + 1) * per);
    const clip = clipOf(ch, levels);
    const s = clip > 0 ? clip / levels : 1;
    scales[c] = s;
    for (let j = 0; j < per; j++) q[c * per + j] = Math.max(-levels, Math.min(levels, Math.round(ch[j] / s)));
  }
  return { q: fromChannels(q, site.weightShape, site.channelAxis, (n) => new Int8Array(n)), scales };
}

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** Layer-wise reconstruction (Bit-split paper, Algorithm 1) with the Bit-split or log solver. */
function reconstructionQuantizer(method: ReconMethod, describe: string, damp: number): WeightQuantizer {
  return {
    name: method,
    describe,
    needsData: true,
    async quantize(site, bits, data) {
      if (!data) throw new Error(`internal: ${method} needs the layer's data`);
      const { data: w } = toChannels(site.weights, site.weightShape, site.channelAxis);
      // Log levels pay off at 4 bits and below (the paper, section 3.3.2); wider layers (the 8-bit first and
      // last) stay uniform, optimized by Bit-split.
      const sol = await solveLayer(data, w, method === 'log' && bits > 4 ? 'bitsplit' : method, bits, { damp });
      let top = 0;
      for (let i = 0; i < sol.q.length; i++) top = Math.max(top, Math.abs(sol.q[i]));
      const need = top > 0 ? Math.ceil(Math.log2(top + 1)) + 1 : 2;
      return { q: fromChannels(sol.q, site.weightShape, site.channelAxis, (n) => new Int8Array(n)), scales: sol.scales, storageBits: need > bits ? need : undefined };
    },
  };
}

export function weightQuantizers(o: MethodOptions): WeightQuantizer[] {
  return [
    { name: 'tflite', describe: 'scale maps max |w| of each channel to the top integer (TF-Lite)', quantize: (s, b) => quantizePerChannel(s, b, (ch) => maxAbs(ch)) },
    { name: 'mse', describe: 'per-channel clip minimizing the mean squared error', quantize: (s, b) => quantizePerChannel(s, b, (ch, l) => bestClipValues(ch, l, 2)) },
    { name: 'lp', describe: `per-channel clip minimizing the Lp error (p = ${o.p})`, quantize: (s, b) => quantizePerChannel(s, b, (ch, l) => bestClipValues(ch, l, o.p)) },
    reconstructionQuantizer('bitsplit', 'Bit-split and Stitching: integers and scale optimized to reconstruct the layer output', o.damp ?? 0),
    reconstructionQuantizer('log', 'power-of-two levels optimized to reconstruct the layer output (layers above 4 bits use bitsplit)', o.damp ?? 0),
  ];
}

export function actQuantizers(o: MethodOptions): ActQuantizer[] {
  const top = (s: ActStats, signed: boolean) => (signed ? Math.max(Math.abs(s.min), Math.abs(s.max)) : Math.max(0, s.max));
  return [
    { name: 'tflite', describe: 'clip at the calibrated maximum (TF-Lite)', clip: (s, _b, signed) => top(s, signed) },
    { name: 'mse', describe: 'clip minimizing the mean squared error', clip: (s, b, signed) => bestClipHistogram(magnitudeHistogram(s, signed), positiveLevels(b, signed), 2) },
    { name: 'lp', describe: `clip minimizing the Lp error (p = ${o.p})`, clip: (s, b, signed) => bestClipHistogram(magnitudeHistogram(s, signed), positiveLevels(b, signed), o.p) },
    {
      name: 'omse',
      describe: 'clip minimizing the layer\'s output error: the squared error of each input channel weighted by the energy of the weights reading it '
        + '(mse where axis 1 of the input is not its channel axis)',
      channelWeighted: true,
      clip: (s, b, signed, energy) => (s.channelSamples && energy
        ? bestClipHistogram(weightedChannelHistogram(s.channelSamples, energy, signed), positiveLevels(b, signed), 2)
        : bestClipHistogram(magnitudeHistogram(s, signed), positiveLevels(b, signed), 2)),
    },
    // The ReLU spike at exactly 0 is left out of the KL histogram: zero is exactly representable at any clip,
    // and merged into the first quantization bin it dominates the divergence and drives the clip to the
    // smallest threshold (seen as A8W8 collapsing to 66 % on ResNet-20).
    {
      name: 'kl',
      describe: 'TensorRT entropy calibration: minimal KL divergence over a 2048-bin histogram of the nonzero values',
      clip: (s, b, signed) => klClip(magnitudeHistogram(s, signed, 2048, true), positiveLevels(b, signed)),
    },
  ];
}

export function findMethod<T extends { name: string }>(list: T[], name: string, what: string): T {
  const m = list.find((x) => x.name === name);
  if (!m) throw unknownChoice(what, name, list.map((x) => x.name));
  return m;
}

export function checkP(p: number): void {
  if (!(p > 0 && p <= 10)) throw new UserError(`--p ${p} must be in (0, 10]`);
}

export function checkDamp(damp: number | undefined): void {
  if (damp !== undefined && !(Number.isFinite(damp) && damp >= 0)) throw new UserError(`--damp ${damp} must be a number >= 0`);
}
