// The post-training quantization pipeline: prepare (fold BatchNorm, find layers) -> calibrate activations
// -> quantize each layer's weights and input activation with the chosen methods -> a QuantModel that the
// QDQ and .hwq writers turn into files.
import type { ModelProto } from '../onnx/proto.js';
import type { Batch } from '../data/batches.js';
import { UserError } from '../errors.js';
import { ActStats } from './act-stats.js';
import { calibrate } from './calibrate.js';
import { positiveLevels } from './clip-search.js';
import { MethodOptions, WeightQuantResult, actQuantizers, channelEnergyFor, checkDamp, checkP, findMethod, weightQuantizers } from './methods.js';
import { reconstructLayers } from './reconstruct.js';
import { toQdqModel } from './qdq.js';
import { lapqOptimize } from './lapq/lapq.js';
import { fakeQuantizeInPlace } from './fake-quant.js';
import { channelMeanOf, correctedBias } from './bias-correction.js';
import { channelScale, channelScales, ecaqAct, ecaqCodesInPlace, foldBeta, foldBetaIntoScales } from './ecaq.js';
import { correctBiasesEmpirically } from './empirical-bias.js';
import { channelMaxAbs, smoothingScales, weightMaxAbsPerInput } from './smooth.js';
import { chooseSmoothing } from './smooth-search.js';
import type { LayerData } from './layer-data.js';

/** E[x] of each reduction element from the sampled patches, per group. */
function patchMeanOf(data: LayerData): (c: number, d: number) => number {
  const means = data.groups.map((g) => {
    const m = new Float64Array(data.D);
    for (let n = 0; n < data.N; n++) for (let d = 0; d < data.D; d++) m[d] += g.X[n * data.D + d];
    return m.map((v) => v / Math.max(1, data.N));
  });
  return (c, d) => means[Math.floor(c / data.OC)][d];
}
import { prepareModel, LayerSite } from './prepare.js';
import type { ActQuant, QuantLayer, QuantModel } from './types.js';

/**
 * How a reconstruction method treats activation quantization while it fits the weights:
 * - 'quantized': each layer is fitted to its quantized inputs (its own quantizer applied to the samples),
 *   taken from the network with every earlier layer's weights and activations quantized (Algorithm 1);
 * - 'unquantized': the same network, but the layer's own quantizer is left out of the fit;
 * - 'after': the weights are fitted with float activations everywhere (as weight-only quantization), and the
 *   activation quantizers are calibrated afterwards on the weight-quantized network.
 * At inference the activations are quantized in every case.
 */
export type ActFit = 'quantized' | 'unquantized' | 'after';
export const ACT_FITS: readonly ActFit[] = ['quantized', 'unquantized', 'after'];

export type BiasCorrection = 'weights' | 'empirical';
export const BIAS_CORRECTIONS: readonly BiasCorrection[] = ['weights', 'empirical'];

/** Which layers ECAQ gives per-input-channel activation scales: every layer but the first, or only those whose
 *  output channels each read one input channel (depthwise convolutions), where folding the scales into the
 *  per-output-channel weight scales is exact and costs the weights nothing. */
export type EcaqScope = 'all' | 'depthwise';
export const ECAQ_SCOPES: readonly EcaqScope[] = ['all', 'depthwise'];

/** A layer whose every output channel reads a single input channel. */
export function readsOneChannel(s: LayerSite): boolean {
  return s.kind === 'conv' && s.weightShape[1] === 1;
}

/** Values kept per channel for depthwise ECAQ after the fit and the output-error clip (omse): enough for a
 *  histogram clip search; MobileNetV2's 7,136 depthwise input channels then hold 223 MiB, the 17,059 input
 *  channels of all its layers (omse after the fit) 533 MiB. */
const CHANNEL_SAMPLES = 8192;

export interface QuantizeOptions {
  /** Activation bits, or null for weight-only quantization (float activations). */
  aBits: number | null;
  wBits: number;
  /** First and last layer at this many bits (null: no exception). */
  firstLast: number | null;
  weightMethod: string;
  actMethod: string;
  methodOptions: MethodOptions;
  /** Calibration batches (only needed when activations are quantized), how many, and their input dims. */
  calibration?: { batches: () => AsyncIterable<Batch>; count: number; inputDims: (b: Batch) => number[] };
  sampleCap?: number;
  /** Layer-wise reconstruction (methods that need data): positions sampled per layer, and whether each
   *  layer's inputs come from the float network (as the Bit-split paper's code) instead of the partly
   *  quantized one; `actFit` says how activation quantization enters the fit (see ActFit). */
  reconstruction?: { positions: number; floatInputs: boolean; seed: number; actFit?: ActFit };
  /** Bias correction: 'weights' subtracts each output channel's mean shift caused by weight quantization
   *  (from the input means); 'empirical' sets each layer's bias so that its mean output on the calibration set,
   *  through the quantized network, equals the float network's (src/quant/empirical-bias.ts). */
  biasCorrection?: BiasCorrection;
  /** LAPQ options (when either method is 'lapq'): loss against labels (cross-entropy) or the float model (KL),
   *  and the search budget. */
  lapq?: { labels: boolean; maxEvals?: number; images?: number };
  /** Error Compensated Activation Quantization: per-input-channel activation scales folded into the weights
   *  (needs activation quantization); the scope says which layers (see EcaqScope). */
  ecaq?: EcaqScope;
  /** Activation smoothing strength alpha in (0, 1] (src/quant/smooth.ts): the layers that read many channels
   *  (not the first or last, not depthwise) divide their input per channel and fold the scales into the weights
   *  before the fit; 'auto' picks alpha (or none) per layer by its proxy output error (src/quant/smooth-search.ts).
   *  Needs activation bits and actFit 'after'. */
  smooth?: number | 'auto';
  progress?: (stage: string, done: number, total: number) => void;
}

export interface LayerReport {
  name: string;
  kind: string;
  wBits: number;
  aBits: number | null;
  aSigned: boolean | null;
  aScale: number | null;
  aClip: number | null;
  /** Range of the per-channel weight scales. */
  wScaleMin: number;
  wScaleMax: number;
  /** 10 log10(|w|^2 / |w - Q(w)|^2) over the whole layer. */
  weightSqnrDb: number;
  /** The smoothing strength applied to the layer's input (null: none), on the layers --smooth may smooth. */
  smoothAlpha?: number | null;
}

const ACT_PARTNER: Record<string, string> = { bitsplit: 'mse', log: 'mse' };
/** Activation-only methods name the weight method they come with as --method: TensorRT's KL calibration
 *  keeps max-abs weights; the output-error clip pairs with per-channel MSE weights. */
const ACT_ONLY_WEIGHTS: Record<string, string> = { kl: 'tflite', omse: 'mse' };

export function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new UserError(`${what} ${bits} is outside 2..8, the widths the quantizer supports`);
}

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
  const levels = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const scale = clip > 0 ? clip / levels : 1;
  return { bits, signed, scale, zeroPoint: 0 };
}

/**
 * LAPQ (Nahshan et al.): start from the lp methods, then search all clip values jointly against the
 * network's loss on the calibration set (src/quant/lapq).
 */
async function quantizeLapq(source: ModelProto, what: string, name: string, o: QuantizeOptions): Promise<{ model: QuantModel; report: LayerReport[] }> {
  if (!o.calibration) throw new UserError('LAPQ searches clip values against the network loss on calibration images: pass --calib DIR');
  // LAPQ weights come with LAPQ activations (a joint search); LAPQ activations may sit on another method's
  // weights, which then stay fixed while the activation clips are searched.
  const frozenWeights = o.weightMethod !== 'lapq';
  if (o.aBits === null ? frozenWeights : o.actMethod !== 'lapq') {
    throw new UserError(`LAPQ searches activation clips (with its own weights or another method's): use --method lapq, or --act-method lapq with any --weight-method (got weights ${o.weightMethod}, activations ${o.actMethod})`);
  }
  const base = await quantizeLayers(source, what, name, { ...o, weightMethod: frozenWeights ? o.weightMethod : 'lp', actMethod: 'lp' });
  const cached: Batch[] = [];
  for await (const b of o.calibration.batches()) cached.push(b);
  if (cached.length === 0) throw new UserError('calibration set is empty');
  const sites = prepareModel(source, what).layers;
  // the search re-rounds the weights at every point: their bias correction goes with them (the paper's LAPQ runs
  // with Banner et al.'s correction)
  const correctBias = frozenWeights || o.biasCorrection !== 'weights' ? undefined
    : (i: number, q: Int8Array, scales: Float32Array) => layerBias(o, sites[i], q, scales, base.meanOf?.[i]);
  const { model } = await lapqOptimize({
    model: base.model,
    correctBias,
    calibration: cached,
    imageDims: o.calibration.inputDims(cached[0]).slice(1),
    options: {
      labels: o.lapq?.labels ?? true,
      frozenWeights,
      progress: o.progress,
      ...(o.lapq?.maxEvals !== undefined ? { maxEvals: o.lapq.maxEvals } : {}),
      ...(o.lapq?.images !== undefined ? { images: o.lapq.images } : {}),
    },
  });
  // LAPQ changes clips and integers: the per-layer figures are those of the final model.
  const report = model.layers.map((l, i) => ({ ...base.report[i], ...layerFigures(sites[i], l) }));
  return { model, report };
}

/** Channels of a layer's input: groups x channels per group for a convolution, the patch length otherwise. */
function inputChannels(s: LayerSite, data: LayerData): number {
  return s.kind === 'conv' ? data.groups.length * s.weightShape[1] : data.D;
}

/** What the weight-only pass smooths: a fixed strength or 'auto', and the activation bits the divided inputs
 *  will get (the pass itself runs with float activations). */
interface Smoothing {
  alpha: number | 'auto';
  aBits: number;
}

/** A smoothable layer's strength: the fixed one, or the candidate with the lowest proxy output error (null: none). */
async function smoothingAlpha(sm: Smoothing, s: LayerSite, data: LayerData, wBits: number): Promise<number | null> {
  if (sm.alpha !== 'auto') return sm.alpha;
  const inC = inputChannels(s, data);
  return (await chooseSmoothing(s, data, inC, sm.aBits, wBits)).alpha;
}

/** --smooth's preconditions: its scales are folded before a reconstruction fit and calibrated after it. */
function checkSmooth(alpha: number | 'auto', aBits: number | null, actFit: ActFit, reconstructs: boolean, weightMethod: string): void {
  if (alpha !== 'auto' && !(alpha > 0 && alpha <= 1)) throw new UserError(`--smooth ${alpha}: the smoothing strength alpha must be in (0, 1] (SmoothQuant uses 0.5)`);
  if (aBits === null) throw new UserError('--smooth divides activations per channel: it needs activation bits (--a<A>w<W>)');
  if (!reconstructs) throw new UserError(`--smooth folds its scales into the weights before a reconstruction method fits them (bitsplit, log), not weight method ${weightMethod}`);
  if (actFit !== 'after') throw new UserError('--smooth calibrates the divided activations once the weights are fitted: use it with --act-fit after');
}

/** The weight-only pass's quantizer of a smoothed layer's input: x / s at 8 bits, clipped at the samples' largest |x / s|. */
function standInAct(scales: Float32Array, data: LayerData, signed: boolean): ActQuant {
  const a = channelMaxAbs(data, scales.length);
  let top = 0;
  a.forEach((v, c) => { top = Math.max(top, v / scales[c]); });
  return { bits: 8, signed, scale: top > 0 ? top / positiveLevels(8, signed) : 1, zeroPoint: 0, channelScales: scales };
}

/** A smoothed layer's activation statistics of x / s, from the per-channel samples of x. */
function dividedStats(st: ActStats, scales: Float32Array): ActStats {
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

/** Weight j (initializer layout) of a quantized layer as the float it encodes. */
function dequantizedWeight(l: QuantLayer): (j: number) => number {
  const per = l.wInt.length / l.wScales.length;
  return (j) => l.wInt[j] * l.wScales[l.channelAxis === 0 ? Math.floor(j / per) : j % l.weightShape[1]];
}

function layerFigures(s: LayerSite, l: QuantLayer): Pick<LayerReport, 'aScale' | 'aClip' | 'wScaleMin' | 'wScaleMax' | 'weightSqnrDb'> {
  const levels = l.act ? (l.act.signed ? 2 ** (l.act.bits - 1) - 1 : 2 ** l.act.bits - 1) : 0;
  return {
    aScale: l.act ? l.act.scale : null,
    aClip: l.act ? l.act.scale * levels : null,
    wScaleMin: Math.min(...l.wScales),
    wScaleMax: Math.max(...l.wScales),
    weightSqnrDb: sqnrDb(s.weights, dequantizedWeight(l)),
  };
}

/** actFit 'after': a weight-only reconstruction, then per-layer activation quantizers calibrated on the
 *  weight-quantized network (the first/last rule applies to both). */
async function quantizeActsAfter(source: ModelProto, what: string, name: string, o: QuantizeOptions): Promise<{ model: QuantModel; report: LayerReport[] }> {
  const smoothing = o.smooth === undefined ? undefined : { alpha: o.smooth, aBits: o.aBits! };
  const weights = await quantizeLayers(source, what, name, { ...o, aBits: null, ecaq: undefined, smooth: undefined }, smoothing);
  const cal = o.calibration!;
  const sites = prepareModel(source, what).layers;
  const aq = findMethod(actQuantizers(o.methodOptions), ACT_PARTNER[o.actMethod] ?? o.actMethod, 'activation method');
  // Depthwise ECAQ can come after the fit: its channel scales fold into the weight scales without touching the integers.
  const ecaqAt = (i: number) => o.ecaq === 'depthwise' && i > 0 && readsOneChannel(sites[i]);
  // the weight-only pass gave each smoothed layer its channel scales (with a stand-in quantizer)
  const smoothedAt = (i: number) => o.smooth !== undefined && weights.model.layers[i].act?.channelScales !== undefined;
  const stats = await calibrate(toQdqModel(weights.model), sites.map((s) => s.inputTensor), cal.batches(), cal.inputDims, {
    sampleCap: o.sampleCap ?? 1 << 20,
    batches: cal.count,
    onBatch: (d) => o.progress?.('calibrate', d, cal.count),
    channelSamples: { tensors: new Set(sites.filter((_, i) => ecaqAt(i) || smoothedAt(i) || aq.channelWeighted).map((s) => s.inputTensor)), cap: CHANNEL_SAMPLES },
  });
  const layers = weights.model.layers.map((l, i) => {
    const edge = o.firstLast !== null && (i === 0 || i === sites.length - 1);
    const bits = edge ? o.firstLast! : o.aBits!;
    const signed = !sites[i].unsignedInput;
    const st = stats.get(l.inputTensor)!;
    if (ecaqAt(i)) {
      const beta = Float32Array.from(st.channelSamples!, (v) => channelScale(v, bits, signed));
      return { ...l, act: ecaqAct(beta, bits, signed), wScales: foldBetaIntoScales(l.wScales, beta) };
    }
    if (smoothedAt(i)) {
      const scales = l.act!.channelScales!;
      const divided = dividedStats(st, scales);
      const energy = aq.channelWeighted ? channelEnergyFor(l, divided, dequantizedWeight(l)) : undefined;
      return { ...l, act: { ...actQuantFor(aq.clip(divided, bits, signed, energy), bits, signed), channelScales: scales } };
    }
    // the fitted weights weigh the channels of an output-error clip
    const energy = aq.channelWeighted ? channelEnergyFor(l, st, dequantizedWeight(l)) : undefined;
    return { ...l, act: actQuantFor(aq.clip(st, bits, signed, energy), bits, signed) };
  });
  const report = weights.report.map((r, i) => {
    const a = layers[i].act;
    const levels = a.signed ? 2 ** (a.bits - 1) - 1 : 2 ** a.bits - 1;
    return { ...r, aBits: a.bits, aSigned: a.signed, aScale: a.scale, aClip: a.scale * levels };
  });
  return { model: { ...weights.model, actMethod: aq.name, layers }, report };
}

export async function quantizeModel(source: ModelProto, what: string, name: string, o: QuantizeOptions): Promise<{ model: QuantModel; report: LayerReport[] }> {
  if (o.biasCorrection !== 'empirical') return quantizeLayers(source, what, name, o);
  if (!o.calibration) throw new UserError('empirical bias correction compares the quantized and float networks on calibration images: pass --calib DIR');
  const q = await quantizeLayers(source, what, name, { ...o, biasCorrection: undefined });
  const rec = o.reconstruction ?? { positions: 12000, floatInputs: false, seed: 0 };
  const model = await correctBiasesEmpirically({
    model: q.model, prepared: q.model.prepared, sites: prepareModel(source, what).layers, calibration: o.calibration,
    rec: { ...rec, floatInputs: false }, sampleCap: o.sampleCap ?? 1 << 20, progress: o.progress,
  });
  return { model, report: q.report };
}

/** Expected value of the input that weight element d of output channel c reads (bias correction). */
type MeanOf = (c: number, d: number) => number;

/** A layer's bias for integer weights `q` at `scales`: corrected for their expected output shift when asked and
 *  the input means are known (not for MatMul, which has no bias to carry it), else the float bias. */
function layerBias(o: QuantizeOptions, s: LayerSite, q: Int8Array, scales: Float32Array, meanOf: MeanOf | undefined): Float32Array | undefined {
  return o.biasCorrection === 'weights' && meanOf && s.kind !== 'matmul' ? correctedBias(s, q, scales, meanOf) : s.bias;
}

/** The quantization with weight bias correction at most (quantizeModel adds the empirical one); `meanOf` holds
 *  each layer's input means where they were measured, for callers that re-round the weights (LAPQ). */
async function quantizeLayers(source: ModelProto, what: string, name: string, o: QuantizeOptions, smoothing?: Smoothing): Promise<{ model: QuantModel; report: LayerReport[]; meanOf?: Array<MeanOf | undefined> }> {
  if (o.weightMethod === 'lapq' || o.actMethod === 'lapq') {
    if (o.smooth !== undefined) throw new UserError('--smooth goes with a reconstruction fit and activations calibrated after it (--act-fit after), not with LAPQ\'s joint clip search');
    return quantizeLapq(source, what, name, o);
  }
  checkBits(o.wBits, 'weight bit width');
  if (o.aBits !== null) checkBits(o.aBits, 'activation bit width');
  if (o.firstLast !== null) checkBits(o.firstLast, 'first/last layer bit width');
  checkP(o.methodOptions.p);
  checkDamp(o.methodOptions.damp);
  const wq = findMethod(weightQuantizers(o.methodOptions), ACT_ONLY_WEIGHTS[o.weightMethod] ?? o.weightMethod, 'weight method');
  // Weight-only methods name the activation method they are used with: Bit-split and log quantization come
  // with MSE-clipped per-layer activations, as in the Bit-split paper.
  const aq = findMethod(actQuantizers(o.methodOptions), ACT_PARTNER[o.actMethod] ?? o.actMethod, 'activation method');
  const prep = prepareModel(source, what);
  const sites = prep.layers;
  const bitsOf = (i: number): { a: number | null; w: number } => {
    const edge = o.firstLast !== null && (i === 0 || i === sites.length - 1);
    return { w: edge ? o.firstLast! : o.wBits, a: o.aBits === null ? null : edge ? o.firstLast! : o.aBits };
  };

  const layers: QuantLayer[] = [];
  const report: LayerReport[] = [];
  const meanOfs: Array<MeanOf | undefined> = [];
  const finish = (i: number, s: LayerSite, bits: { a: number | null; w: number }, r: WeightQuantResult, act: ActQuant | undefined, clip: number | null, meanOf?: MeanOf, smoothAlpha?: number | null) => {
    const bias = layerBias(o, s, r.q, r.scales, meanOf);
    meanOfs[i] = meanOf;
    const layer: QuantLayer = {
      name: s.name, kind: s.kind, nodeName: s.nodeName, inputTensor: s.inputTensor, outputTensor: s.outputTensor,
      weightName: s.weightName, weightShape: s.weightShape, channelAxis: s.channelAxis, wBits: r.storageBits ?? bits.w, wInt: r.q, wScales: r.scales, act, bias,
    };
    layers.push(layer);
    report.push({ name: s.name, kind: s.kind, wBits: layer.wBits, aBits: bits.a, aSigned: act ? act.signed : null, ...layerFigures(s, layer), aClip: clip, ...(smoothAlpha !== undefined ? { smoothAlpha } : {}) });
    o.progress?.('quantize', i + 1, sites.length);
  };
  const chooseAct = (s: LayerSite, st: ActStats, bits: number) => {
    const signed = !s.unsignedInput;
    // before the weights are quantized, the float weights weigh the channels
    const clip = aq.clip(st, bits, signed, aq.channelWeighted ? channelEnergyFor(s, st, (j) => s.weights[j]) : undefined);
    return { act: actQuantFor(clip, bits, signed), clip };
  };

  if (o.ecaq && o.aBits === null) throw new UserError('--ecaq quantizes activations per input channel: it needs activation bits (--a<A>w<W>)');
  const actFit = o.reconstruction?.actFit ?? 'quantized';
  if (o.smooth !== undefined) checkSmooth(o.smooth, o.aBits, actFit, wq.needsData === true, wq.name);
  const smoothable = (i: number, s: LayerSite) => i > 0 && i < sites.length - 1 && s.kind !== 'matmul' && !readsOneChannel(s);
  if (actFit === 'after' && o.aBits !== null && wq.needsData) {
    if (o.ecaq === 'all') throw new UserError('--act-fit after calibrates activations once the weights are fitted; --ecaq all folds its channel scales into the weights before the fit: use one of them, or --ecaq depthwise');
    return quantizeActsAfter(source, what, name, o);
  }
  if (wq.needsData || o.ecaq) {
    if (!o.calibration) throw new UserError(`${o.ecaq ? '--ecaq' : `weight method '${wq.name}'`} works on each layer's sampled inputs: it needs calibration images (--calib DIR)`);
    await reconstructLayers({
      prepared: prep.model, sites, calibration: o.calibration, rec: o.reconstruction ?? { positions: 12000, floatInputs: false, seed: 0 },
      sampleCap: o.sampleCap ?? 1 << 20, progress: o.progress,
      quantizedSoFar: () => ({ source: what, name, weightMethod: wq.name, actMethod: aq.name, layers, prepared: prep.model }),
      layer: async (i, s, stats, data) => {
        const bits = bitsOf(i);
        if (o.ecaq && i > 0 && bits.a !== null && s.kind !== 'matmul' && (o.ecaq === 'all' || readsOneChannel(s))) {
          const signed = !s.unsignedInput;
          const inC = inputChannels(s, data);
          const act = ecaqAct(channelScales(data, inC, bits.a, signed), bits.a, signed);
          ecaqCodesInPlace(data, act, actFit === 'quantized');
          const beta = act.channelScales!;
          const folded = foldBeta(s, beta);
          finish(i, folded, bits, await wq.quantize(folded, bits.w, data), act, null, patchMeanOf(data));
          return act;
        }
        const alpha = smoothing && smoothable(i, s) ? await smoothingAlpha(smoothing, s, data, bits.w) : undefined;
        if (alpha !== undefined && alpha !== null) {
          const inC = inputChannels(s, data);
          const scales = smoothingScales(channelMaxAbs(data, inC), weightMaxAbsPerInput(s, inC), alpha);
          const folded = foldBeta(s, scales);
          // The weight-only pass has no float path for a divided input, so until the activation quantizers are
          // calibrated the layer reads it through a max-abs 8-bit quantizer (the network quantized so far then
          // gives the later layers' samples almost exactly float inputs); the layer itself fits unrounded x / s.
          const standIn = standInAct(scales, data, !s.unsignedInput);
          ecaqCodesInPlace(data, standIn, false);
          finish(i, folded, bits, await wq.quantize(folded, bits.w, data), standIn, null, patchMeanOf(data), alpha);
          return undefined;
        }
        const chosen = bits.a !== null ? chooseAct(s, stats!, bits.a) : undefined;
        if (chosen && actFit === 'quantized') for (const g of data.groups) fakeQuantizeInPlace(g.X, chosen.act);
        finish(i, s, bits, await wq.quantize(s, bits.w, data), chosen?.act, chosen?.clip ?? null, patchMeanOf(data), alpha);
        return chosen?.act;
      },
      needStats: true,
      channelSampleCap: aq.channelWeighted ? CHANNEL_SAMPLES : 0,
    });
  } else {
    let stats = new Map<string, ActStats>();
    if (o.aBits !== null || o.biasCorrection === 'weights') {
      if (!o.calibration) throw new UserError(`${o.aBits !== null ? 'activation quantization' : 'bias correction'} needs calibration images (--calib DIR)`);
      const cal = o.calibration;
      stats = await calibrate(prep.model, sites.map((s) => s.inputTensor), cal.batches(), cal.inputDims, {
        sampleCap: o.sampleCap ?? 1 << 20,
        batches: cal.count,
        onBatch: (d) => o.progress?.('calibrate', d, cal.count),
        channelSamples: aq.channelWeighted && o.aBits !== null ? { tensors: new Set(sites.map((s) => s.inputTensor)), cap: CHANNEL_SAMPLES } : undefined,
      });
    }
    for (let i = 0; i < sites.length; i++) {
      const s = sites[i];
      const bits = bitsOf(i);
      const st = stats.get(s.inputTensor);
      const chosen = bits.a !== null ? chooseAct(s, st!, bits.a) : undefined;
      const means = st?.channelMeans;
      const groups = means && s.kind === 'conv' ? means.length / s.weightShape[1] : 1;
      finish(i, s, bits, await wq.quantize(s, bits.w), chosen?.act, chosen?.clip ?? null, means ? channelMeanOf(s, groups, means) : undefined);
    }
  }
  return {
    model: { source: what, name, weightMethod: wq.name, actMethod: o.aBits === null ? 'none' : aq.name, layers, prepared: prep.model },
    report, meanOf: meanOfs,
  };
}
