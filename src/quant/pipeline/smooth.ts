// The smooth pass (SmoothQuant): the layers that read many channels divide their input per channel and fold the
// scales into the weights. The scales come from each layer's sampled inputs, which only the weights pass's fit
// has (taken from the network quantized so far), so this pass records the strength and the fit applies it; the
// activation-clip pass then calibrates the divided inputs on the weight-quantized network.
import { UserError } from '../../errors.js';
import type { ActStats } from '../act-stats.js';
import { positiveLevels } from '../../intmodel/grid.js';
import type { LayerData } from '../layer-data.js';
import { weightQuantizers } from '../methods.js';
import type { LayerSite } from '../prepare.js';
import { channelMaxAbs } from '../smooth.js';
import { chooseSmoothing } from '../smooth-search.js';
import type { ActQuant } from '../types.js';
import { readsOneChannel } from './ecaq.js';
import type { SmoothPass, WeightsPass } from './spec.js';
import { type PassDef, passIndex } from './state.js';

export const smoothPass: PassDef<SmoothPass> = {
  check(spec, { recipe, index, run }) {
    if (passIndex(recipe, 'lapq') >= 0) throw new UserError('--smooth goes with a reconstruction fit and activations calibrated after it (--act-fit after), not with LAPQ\'s joint clip search');
    const { alpha } = spec;
    if (alpha !== 'auto' && !(alpha > 0 && alpha <= 1)) throw new UserError(`--smooth ${alpha}: the smoothing strength alpha must be in (0, 1] (SmoothQuant uses 0.5)`);
    if (run.aBits === null) throw new UserError('--smooth divides activations per channel: it needs activation bits (--a<A>w<W>)');
    const w = passIndex(recipe, 'weights');
    const weights = recipe.passes[w] as WeightsPass | undefined;
    if (!weights || w < index) throw new UserError(`recipe ${recipe.name}: the smooth pass goes before the weights pass, which folds its scales`);
    const wq = weightQuantizers({ p: weights.p, damp: weights.damp }).find((m) => m.name === weights.method);
    if (!wq?.needsData) throw new UserError(`--smooth folds its scales into the weights before a reconstruction method fits them (bitsplit, log), not weight method ${weights.method}`);
    const calibratedAfter = recipe.passes.slice(w + 1).some((p) => p.pass === 'acts' && p.network === 'quantized');
    if (weights.fit || !calibratedAfter) throw new UserError('--smooth calibrates the divided activations once the weights are fitted: use it with --act-fit after');
  },
  async apply(st, spec) {
    return { ...st, inFit: { ...st.inFit, smooth: spec.alpha } };
  },
};

/** The layers smoothing may divide: not the first or last, not MatMul, not depthwise. */
export function smoothable(i: number, s: LayerSite, layers: number): boolean {
  return i > 0 && i < layers - 1 && s.kind !== 'matmul' && !readsOneChannel(s);
}

/** Channels of a layer's input: groups x channels per group for a convolution, the patch length otherwise. */
export function inputChannels(s: LayerSite, data: LayerData): number {
  return s.kind === 'conv' ? data.groups.length * s.weightShape[1] : data.D;
}

/** A smoothable layer's strength: the fixed one, or the candidate with the lowest proxy output error (null: none);
 *  `aBits` are the bits the divided input will get. */
export async function smoothingAlpha(alpha: number | 'auto', aBits: number, s: LayerSite, data: LayerData, wBits: number): Promise<number | null> {
  if (alpha !== 'auto') return alpha;
  const inC = inputChannels(s, data);
  return (await chooseSmoothing(s, data, inC, aBits, wBits)).alpha;
}

/**
 * The fit's quantizer of a smoothed layer's input: x / s at 8 bits, clipped at the samples' largest |x / s|.
 * The fit runs with float activations but has no float path for a divided input, so until the activation clips
 * are calibrated the layer reads it through this stand-in (the network quantized so far then gives the later
 * layers' samples almost exactly float inputs). It stays because the later layers' samples, and so every fitted
 * weight after the first smoothed layer, pass through it: removing it would change the published numbers.
 */
export function standInAct(scales: Float32Array, data: LayerData, signed: boolean): ActQuant {
  const a = channelMaxAbs(data, scales.length);
  let top = 0;
  a.forEach((v, c) => { top = Math.max(top, v / scales[c]); });
  return { bits: 8, signed, scale: top > 0 ? top / positiveLevels(8, signed) : 1, zeroPoint: 0, channelScales: scales };
}

/** A smoothed layer's activation statistics of x / s, from the per-channel samples of x. */
export function dividedStats(st: ActStats, scales: Float32Array): ActStats {
  const channelSamples = st.channelSamples!.map((v, c) => v.map((x) => x / scales[c]));
  const sample = new Float32Array(channelSamples.reduce((n, v) => n + v.length, 0));
  let at = 0;
  let min = Infinity, max = -Infinity;
  for (const v of channelSamples) {
    sample.set(v, at);
    at += v.length;
    for (const x of v) { min = Math.min(min, x); max = Math.max(max, x); }
  }
  return { min, max, count: st.count, sample, channelSamples };
}
