// The calibrate pass: activation statistics of every layer input on the float network, for the activation clips
// chosen from them and the input means of weight bias correction. It runs only when a later pass reads them.
import { UserError } from '../../errors.js';
import { calibrate } from '../calibrate.js';
import { actQuantizers } from '../methods.js';
import type { ActsPass, CalibratePass, PassSpec, WeightsPass } from './spec.js';
import { CHANNEL_SAMPLES, DEFAULT_SAMPLE_CAP, type PassDef } from './state.js';

/** What reads the statistics: an acts pass on the float network (with activation bits), a bias-correcting weights pass. */
function readers(passes: readonly PassSpec[], aBits: number | null): { acts?: ActsPass; correct: boolean } {
  const acts = passes.find((p): p is ActsPass => p.pass === 'acts' && p.network === 'float');
  return { acts: aBits !== null ? acts : undefined, correct: passes.some((p) => p.pass === 'weights' && (p as WeightsPass).biasCorrection) };
}

export const calibratePass: PassDef<CalibratePass> = {
  // statistics of the float network: whether they are taken depends on activations being quantized, not on their bits
  actBitsFree: () => true,
  check(_spec, { recipe, index, run }) {
    const { acts, correct } = readers(recipe.passes.slice(index + 1), run.aBits);
    if ((acts || correct) && !run.calibration) throw new UserError(`${run.aBits !== null ? 'activation quantization' : 'bias correction'} needs calibration images (--calib DIR)`);
  },
  async apply(st) {
    const { run } = st;
    const { acts, correct } = readers(st.recipe.passes, run.aBits);
    const quantizeActs = acts !== undefined;
    if (!quantizeActs && !correct) return st;
    const cal = run.calibration!;
    const weighted = quantizeActs && actQuantizers({ p: acts.p }).find((m) => m.name === acts.method)?.channelWeighted === true;
    const stats = await calibrate(st.prepared, st.sites.map((s) => s.inputTensor), cal.batches(), cal.inputDims, {
      sampleCap: run.sampleCap ?? DEFAULT_SAMPLE_CAP,
      batches: cal.count,
      onBatch: (d) => run.progress?.('calibrate', d, cal.count),
      channelSamples: weighted ? { tensors: new Set(st.sites.map((s) => s.inputTensor)), cap: CHANNEL_SAMPLES } : undefined,
    });
    return { ...st, stats };
  },
};
