// The lapq pass (LAPQ, Nahshan et al.): from the clips and weights of the passes before it (the lp methods for
// LAPQ itself, or another method's fixed weights), search all clip values jointly against the network's loss on
// the calibration set (src/quant/lapq).
import type { Batch } from '../../data/batches.js';
import { UserError } from '../../errors.js';
import { layerFigures } from '../figures.js';
import { lapqOptimize } from '../lapq/lapq.js';
import type { LapqPass, WeightsPass } from './spec.js';
import { type PassDef, exportModel, passIndex } from './state.js';
import { layerBias } from './weights.js';

export const lapqPass: PassDef<LapqPass> = {
  check(spec, { recipe, run }) {
    if (!run.calibration) throw new UserError('LAPQ searches clip values against the network loss on calibration images: pass --calib DIR');
    const weights = recipe.passes[passIndex(recipe, 'weights')] as WeightsPass | undefined;
    if (run.aBits === null && !spec.weights) {
      throw new UserError("LAPQ searches activation clips (with its own weights or another method's): use --method lapq, "
        + `or --act-method lapq with any --weight-method (got weights ${weights?.method}, activations lapq)`);
    }
  },
  async apply(st, spec) {
    const cal = st.run.calibration!;
    const cached: Batch[] = [];
    for await (const b of cal.batches()) cached.push(b);
    if (cached.length === 0) throw new UserError('calibration set is empty');
    // the search re-rounds the weights at every point: their bias correction goes with them (the paper's LAPQ runs
    // with Banner et al.'s correction)
    const correct = (st.recipe.passes[passIndex(st.recipe, 'weights')] as WeightsPass).biasCorrection;
    const correctBias = !spec.weights || !correct ? undefined
      : (i: number, q: Int8Array, scales: Float32Array) => layerBias(true, st.sites[i], q, scales, st.meanOf[i]);
    const { model } = await lapqOptimize({
      model: exportModel(st),
      correctBias,
      calibration: cached,
      imageDims: cal.inputDims(cached[0]).slice(1),
      options: {
        labels: spec.labels,
        frozenWeights: !spec.weights,
        progress: st.run.progress,
        maxEvals: spec.maxEvals,
        ...(spec.images !== undefined ? { images: spec.images } : {}),
      },
    });
    // LAPQ changes clips and integers: the per-layer figures are those of the final model.
    const report = model.layers.map((l, i) => ({ ...st.report[i], ...layerFigures(st.sites[i], l) }));
    return { ...st, layers: model.layers, report, weightMethod: model.weightMethod, actMethod: model.actMethod };
  },
};
