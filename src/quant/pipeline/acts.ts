// The activation-clip pass: one quantizer per layer input by an activation method, under the first/last rule.
// On the 'float' network the clips come from the calibrate pass's statistics and the float weights weigh the
// channels; on the 'quantized' network the pass calibrates the network with its weights already quantized (and
// its smoothed inputs divided), the fitted weights weigh the channels, and ECAQ after the fit gives the depthwise
// layers their channel scales.
import { UserError } from '../../errors.js';
import type { ActStats } from '../act-stats.js';
import { calibrate } from '../calibrate.js';
import { channelScale, ecaqAct, foldBetaIntoScales } from '../ecaq.js';
import { actQuantFor, dequantizedWeight } from '../figures.js';
import { positiveLevels } from '../../intmodel/grid.js';
import { type ActQuantizer, actQuantizers, channelEnergyFor, findMethod } from '../methods.js';
import { toQdqModel } from '../qdq.js';
import type { QuantLayer } from '../types.js';
import { readsOneChannel } from './ecaq.js';
import { dividedStats } from './smooth.js';
import type { ActsPass } from './spec.js';
import { CHANNEL_SAMPLES, DEFAULT_SAMPLE_CAP, type PassDef, type QuantState, bitsOf, passIndex } from './state.js';
import { chooseAct } from './weights.js';

export const actsPass: PassDef<ActsPass> = {
  check(spec, { recipe, index, run }) {
    findMethod(actQuantizers({ p: spec.p }), spec.method, 'activation method');
    const w = passIndex(recipe, 'weights');
    if (w < 0 || w > index) throw new UserError(`recipe ${recipe.name}: the acts pass goes after the weights pass`);
    if (spec.network === 'float' && !recipe.passes.slice(0, index).some((p) => p.pass === 'calibrate')) {
      throw new UserError(`recipe ${recipe.name}: clips from the float network need a calibrate pass before them`);
    }
    if (spec.network === 'quantized' && run.aBits !== null && !run.calibration) throw new UserError('activation quantization needs calibration images (--calib DIR)');
  },
  async apply(st, spec) {
    if (st.run.aBits === null) return st;
    const aq = findMethod(actQuantizers({ p: spec.p }), spec.method, 'activation method');
    return spec.network === 'float' ? fromFloatStats(st, aq) : onQuantizedNetwork(st, aq);
  },
};

function fromFloatStats(st: QuantState, aq: ActQuantizer): QuantState {
  const layers = st.layers.slice();
  const report = st.report.map((r, i) => {
    const s = st.sites[i];
    const { act, clip } = chooseAct(aq, s, st.stats!.get(s.inputTensor)!, bitsOf(st, i).a!);
    layers[i] = { ...layers[i], act };
    return { ...r, aBits: act.bits, aSigned: act.signed, aScale: act.scale, aClip: clip };
  });
  return { ...st, layers, report, actMethod: aq.name };
}

/**
 * The statistics of a weight-quantized network with float activations do not depend on the activation widths the
 * clips are then chosen for: runs that share a weights fit (runRecipes) calibrate it once. Keyed by the fitted
 * layers (the same array only within such runs), the calibration data and the collection settings.
 */
const calibrated = new WeakMap<readonly QuantLayer[], Array<{ cal: object; settings: string; stats: Promise<Map<string, ActStats>> }>>();

function once(layers: readonly QuantLayer[], cal: object, settings: string, compute: () => Promise<Map<string, ActStats>>): Promise<Map<string, ActStats>> {
  const entries = calibrated.get(layers) ?? [];
  calibrated.set(layers, entries);
  const hit = entries.find((e) => e.cal === cal && e.settings === settings);
  if (hit) return hit.stats;
  const stats = compute();
  entries.push({ cal, settings, stats });
  return stats;
}

async function onQuantizedNetwork(st: QuantState, aq: ActQuantizer): Promise<QuantState> {
  const { sites, run } = st;
  const cal = run.calibration!;
  const ecaqAt = (i: number) => st.ecaqAfter === true && i > 0 && readsOneChannel(sites[i]);
  // the fit gave each smoothed layer its channel scales (with a stand-in quantizer)
  const smoothedAt = (i: number) => st.inFit.smooth !== undefined && st.layers[i].act?.channelScales !== undefined;
  const model = { source: st.what, name: st.name, weightMethod: st.weightMethod, actMethod: st.actMethod, layers: st.layers, prepared: st.prepared };
  const channelTensors = sites.filter((_, i) => ecaqAt(i) || smoothedAt(i) || aq.channelWeighted).map((s) => s.inputTensor);
  const sampleCap = run.sampleCap ?? DEFAULT_SAMPLE_CAP;
  const stats = await once(st.layers, cal, JSON.stringify([sampleCap, channelTensors]), () => calibrate(toQdqModel(model), sites.map((s) => s.inputTensor), cal.batches(), cal.inputDims, {
    sampleCap,
    batches: cal.count,
    onBatch: (d) => run.progress?.('calibrate', d, cal.count),
    channelSamples: { tensors: new Set(channelTensors), cap: CHANNEL_SAMPLES },
  }));
  const layers = st.layers.map((l, i): QuantLayer => {
    const bits = bitsOf(st, i).a!;
    const signed = !sites[i].unsignedInput;
    const s: ActStats = stats.get(l.inputTensor)!;
    if (ecaqAt(i)) {
      const beta = Float32Array.from(s.channelSamples!, (v) => channelScale(v, bits, signed));
      return { ...l, act: ecaqAct(beta, bits, signed), wScales: foldBetaIntoScales(l.wScales, beta) };
    }
    if (smoothedAt(i)) {
      const scales = l.act!.channelScales!;
      const divided = dividedStats(s, scales);
      const energy = aq.channelWeighted ? channelEnergyFor(l, divided, dequantizedWeight(l)) : undefined;
      return { ...l, act: { ...actQuantFor(aq.clip(divided, bits, signed, energy), bits, signed), channelScales: scales } };
    }
    // the fitted weights weigh the channels of an output-error clip
    const energy = aq.channelWeighted ? channelEnergyFor(l, s, dequantizedWeight(l)) : undefined;
    return { ...l, act: actQuantFor(aq.clip(s, bits, signed, energy), bits, signed) };
  });
  const report = st.report.map((r, i) => {
    const a = layers[i].act!;
    return { ...r, aBits: a.bits, aSigned: a.signed, aScale: a.scale, aClip: a.scale * positiveLevels(a.bits, a.signed) };
  });
  return { ...st, layers, report, actMethod: aq.name };
}
