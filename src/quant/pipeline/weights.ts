// The weights pass: each layer's integer weights and scales by a weight method. Rounding methods quantize each
// layer on its own; reconstruction methods (and ECAQ or smoothing before this pass) run layer by layer on sampled
// inputs from the network quantized so far (src/quant/reconstruct.ts), and can choose each layer's activation clip
// inside the fit (`fit`), since the next layer's samples pass through it.
import { UserError } from '../../errors.js';
import type { ActStats } from '../act-stats.js';
import { channelMeanOf, correctedBias } from '../bias-correction.js';
import { channelScales, ecaqAct, ecaqCodesInPlace, foldBeta } from '../ecaq.js';
import { fakeQuantizeInPlace } from '../fake-quant.js';
import { actQuantFor, layerFigures } from '../figures.js';
import type { LayerData } from '../layer-data.js';
import { type ActQuantizer, type WeightQuantResult, actQuantizers, channelEnergyFor, checkDamp, checkP, findMethod, weightQuantizers } from '../methods.js';
import type { LayerSite } from '../prepare.js';
import { reconstructLayers } from '../reconstruct.js';
import { channelMaxAbs, smoothingScales, weightMaxAbsPerInput } from '../smooth.js';
import type { ActQuant, QuantLayer } from '../types.js';
import { readsOneChannel } from './ecaq.js';
import { inputChannels, smoothable, smoothingAlpha, standInAct } from './smooth.js';
import type { WeightsPass } from './spec.js';
import { CHANNEL_SAMPLES, DEFAULT_SAMPLE_CAP, type LayerReport, type MeanOf, type PassDef, bitsOf, sampling } from './state.js';

/** E[x] of each reduction element from the sampled patches, per group. */
function patchMeanOf(data: LayerData): MeanOf {
  const means = data.groups.map((g) => {
    const m = new Float64Array(data.D);
    for (let n = 0; n < data.N; n++) for (let d = 0; d < data.D; d++) m[d] += g.X[n * data.D + d];
    return m.map((v) => v / Math.max(1, data.N));
  });
  return (c, d) => means[Math.floor(c / data.OC)][d];
}

/** A layer's bias for integer weights `q` at `scales`: corrected for their expected output shift when asked and
 *  the input means are known (not for MatMul, which has no bias to carry it), else the float bias. */
export function layerBias(correct: boolean, s: LayerSite, q: Int8Array, scales: Float32Array, meanOf: MeanOf | undefined): Float32Array | undefined {
  return correct && meanOf && s.kind !== 'matmul' ? correctedBias(s, q, scales, meanOf) : s.bias;
}

/** An activation clip chosen before the layer's weights are quantized: the float weights weigh the channels. */
export function chooseAct(aq: ActQuantizer, s: LayerSite, st: ActStats, bits: number): { act: ActQuant; clip: number } {
  const signed = !s.unsignedInput;
  const clip = aq.clip(st, bits, signed, aq.channelWeighted ? channelEnergyFor(s, st, (j) => s.weights[j]) : undefined);
  return { act: actQuantFor(clip, bits, signed), clip };
}

const methods = (spec: WeightsPass) => ({ p: spec.p, damp: spec.damp });

/** Whether the pass runs layer by layer on sampled data. */
function layerwise(spec: WeightsPass, ecaqInFit: boolean): boolean {
  return weightQuantizers(methods(spec)).find((m) => m.name === spec.method)?.needsData === true || ecaqInFit;
}

export const weightsPass: PassDef<WeightsPass> = {
  // Without clips in the fit, ECAQ or smoothing inside it, the fit sees float activations whatever their bits.
  actBitsFree: (spec, { recipe, index }) => !spec.fit && !recipe.passes.slice(0, index).some((p) => p.pass === 'ecaq' || p.pass === 'smooth'),
  check(spec, { recipe, index, run }) {
    checkP(spec.p);
    checkDamp(spec.damp);
    const wq = findMethod(weightQuantizers(methods(spec)), spec.method, 'weight method');
    if (spec.damp > 0 && !wq.needsData) throw new UserError(`--damp weights the reconstruction of weight methods that fit layer outputs (bitsplit, log), not weight method ${wq.name}`);
    if (spec.fit) findMethod(actQuantizers(methods(spec)), spec.fit.acts, 'activation method');
    const ecaq = recipe.passes.slice(0, index).some((p) => p.pass === 'ecaq');
    if (layerwise(spec, ecaq)) {
      if (!run.calibration) throw new UserError(`${ecaq ? '--ecaq' : `weight method '${wq.name}'`} works on each layer's sampled inputs: it needs calibration images (--calib DIR)`);
    } else if (spec.biasCorrection && !recipe.passes.slice(0, index).some((p) => p.pass === 'calibrate')) {
      throw new UserError(`recipe ${recipe.name}: bias correction of weight method ${spec.method} needs the input means of a calibrate pass before the weights pass`);
    }
    if (spec.fit && recipe.passes.slice(index + 1).some((p) => p.pass === 'acts')) {
      throw new UserError(`recipe ${recipe.name}: the weights pass chooses the activation clips in its fit and an acts pass chooses them again; keep one`);
    }
    if (run.aBits !== null && !spec.fit && !recipe.passes.slice(index + 1).some((p) => p.pass === 'acts')) {
      throw new UserError(`recipe ${recipe.name} quantizes no activations (no activation clips in the fit, no acts pass): use weight-only bits (--w<W>)`);
    }
  },
  async apply(st, spec) {
    const wq = findMethod(weightQuantizers(methods(spec)), spec.method, 'weight method');
    const aq = spec.fit ? findMethod(actQuantizers(methods(spec)), spec.fit.acts, 'activation method') : undefined;
    const layers: QuantLayer[] = [];
    const report: LayerReport[] = [];
    const meanOfs: Array<MeanOf | undefined> = [];
    const { sites, run } = st;
    const actMethod = aq && run.aBits !== null ? aq.name : 'none';
    // without clips in the fit the layers' activations stay float here (a later pass quantizes them)
    const fitBits = (i: number) => ({ ...bitsOf(st, i), ...(aq ? {} : { a: null }) });
    const finish = (
      i: number,
      s: LayerSite,
      bits: { a: number | null; w: number },
      r: WeightQuantResult,
      act: ActQuant | undefined,
      clip: number | null,
      meanOf?: MeanOf,
      smoothAlpha?: number | null,
    ) => {
      const bias = layerBias(spec.biasCorrection, s, r.q, r.scales, meanOf);
      meanOfs[i] = meanOf;
      const layer: QuantLayer = {
        name: s.name, kind: s.kind, nodeName: s.nodeName, inputTensor: s.inputTensor, outputTensor: s.outputTensor,
        weightName: s.weightName, weightShape: s.weightShape, channelAxis: s.channelAxis, wBits: r.storageBits ?? bits.w, wInt: r.q, wScales: r.scales, act, bias,
      };
      layers.push(layer);
      report.push({
        name: s.name, kind: s.kind, wBits: layer.wBits, aBits: bits.a, aSigned: act ? act.signed : null,
        ...layerFigures(s, layer),
        aClip: clip,
        ...(smoothAlpha !== undefined ? { smoothAlpha } : {}),
      });
      run.progress?.('quantize', i + 1, sites.length);
    };

    if (layerwise(spec, st.inFit.ecaq !== undefined)) {
      const ecaq = st.inFit.ecaq;
      const quantizedFit = spec.fit?.mode === 'quantized';
      const smooth = st.inFit.smooth;
      await reconstructLayers({
        prepared: st.prepared, sites, calibration: run.calibration!, rec: sampling(run, spec.floatInputs),
        sampleCap: run.sampleCap ?? DEFAULT_SAMPLE_CAP, progress: run.progress,
        quantizedSoFar: () => ({ source: st.what, name: st.name, weightMethod: wq.name, actMethod, layers, prepared: st.prepared }),
        layer: async (i, s, stats, data) => {
          const bits = fitBits(i);
          if (ecaq && i > 0 && bits.a !== null && s.kind !== 'matmul' && (ecaq === 'all' || readsOneChannel(s))) {
            const signed = !s.unsignedInput;
            const inC = inputChannels(s, data);
            const act = ecaqAct(channelScales(data, inC, bits.a, signed), bits.a, signed);
            ecaqCodesInPlace(data, act, quantizedFit);
            const folded = foldBeta(s, act.channelScales!);
            finish(i, folded, bits, await wq.quantize(folded, bits.w, data), act, null, patchMeanOf(data));
            return act;
          }
          const alpha = smooth !== undefined && smoothable(i, s, sites.length) ? await smoothingAlpha(smooth, run.aBits!, s, data, bits.w) : undefined;
          if (alpha !== undefined && alpha !== null) {
            const inC = inputChannels(s, data);
            const scales = smoothingScales(channelMaxAbs(data, inC), weightMaxAbsPerInput(s, inC), alpha);
            const folded = foldBeta(s, scales);
            const standIn = standInAct(scales, data, !s.unsignedInput);
            ecaqCodesInPlace(data, standIn, false);
            finish(i, folded, bits, await wq.quantize(folded, bits.w, data), standIn, null, patchMeanOf(data), alpha);
            return undefined;
          }
          const chosen = aq && bits.a !== null ? chooseAct(aq, s, stats!, bits.a) : undefined;
          if (chosen && quantizedFit) for (const g of data.groups) fakeQuantizeInPlace(g.X, chosen.act);
          finish(i, s, bits, await wq.quantize(s, bits.w, data), chosen?.act, chosen?.clip ?? null, patchMeanOf(data), alpha);
          return chosen?.act;
        },
        needStats: true,
        channelSampleCap: aq?.channelWeighted ? CHANNEL_SAMPLES : 0,
      });
    } else {
      for (let i = 0; i < sites.length; i++) {
        const s = sites[i];
        const bits = fitBits(i);
        const means = st.stats?.get(s.inputTensor)?.channelMeans;
        const groups = means && s.kind === 'conv' ? means.length / s.weightShape[1] : 1;
        finish(i, s, bits, await wq.quantize(s, bits.w), undefined, null, means ? channelMeanOf(s, groups, means) : undefined);
      }
    }
    return { ...st, layers, report, meanOf: meanOfs, weightMethod: wq.name, actMethod };
  },
};

