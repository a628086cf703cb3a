// Post-training quantization: a float ONNX model and its calibration data -> a QuantModel that the QDQ and .hwq
// writers turn into files. The work is a pipeline of named passes (src/quant/pipeline/run.ts) run by a recipe
// (src/quant/recipes.ts); quantizeModel takes the low-level options and runs the recipe they resolve to. A new
// option is one pass plus one recipe entry: src/quant/pipeline/run.ts says how to add one.
import type { ModelProto } from '../onnx/proto.js';
import type { QuantModel } from './types.js';
import type { QuantizeOptions } from './options.js';
import { recipeFromOptions, runFromOptions } from './pipeline/from-options.js';
import { runRecipe } from './pipeline/run.js';
import type { LayerReport } from './pipeline/state.js';

export { ACT_FITS, BIAS_CORRECTIONS, type ActFit, type BiasCorrection, type QuantizeOptions } from './options.js';
export { ECAQ_SCOPES, type EcaqScope } from './pipeline/spec.js';
export type { LayerReport } from './pipeline/state.js';

export async function quantizeModel(source: ModelProto, what: string, name: string, o: QuantizeOptions): Promise<{ model: QuantModel; report: LayerReport[] }> {
  return runRecipe(source, what, name, recipeFromOptions(o), runFromOptions(o));
}
