// The empirical-bias pass, after every other: each layer's bias set so that its mean output on the calibration
// set, through the quantized network, equals the float network's (src/quant/empirical-bias.ts).
import { UserError } from '../../errors.js';
import { correctBiasesEmpirically } from '../empirical-bias.js';
import type { EmpiricalBiasPass } from './spec.js';
import { DEFAULT_SAMPLE_CAP, type PassDef, exportModel, sampling } from './state.js';

export const empiricalBiasPass: PassDef<EmpiricalBiasPass> = {
  check(_spec, { recipe, index, run }) {
    if (!run.calibration) throw new UserError('empirical bias correction compares the quantized and float networks on calibration images: pass --calib DIR');
    if (index !== recipe.passes.length - 1) throw new UserError(`recipe ${recipe.name}: empirical bias correction is the last pass (it corrects what every other pass left)`);
  },
  async apply(st) {
    const model = await correctBiasesEmpirically({
      model: exportModel(st), prepared: st.prepared, sites: st.sites, calibration: st.run.calibration!,
      rec: sampling(st.run, false), sampleCap: st.run.sampleCap ?? DEFAULT_SAMPLE_CAP, progress: st.run.progress,
    });
    return { ...st, layers: model.layers };
  },
};
