// hwq from your own code: the functions the `hwq` commands call, with their types. Nothing here prints or
// exits; bad input throws UserError (or ConfigError for hardware configs) with the message the CLI would print.
// A re-export module only: what it names lives (and is tested) where the commands use it.

// errors
export { UserError } from './errors.js';
export { ConfigError } from '../hw/config.js';

// hardware configurations
export { loadConfig, getPreset, presetNames } from '../hw/presets.js';
export { validateConfig, supportedWidths, type HwConfig, type BufferConfig, type DramConfig, type EnergyConfig } from '../hw/config.js';

// networks: the zoo, ONNX files (a quantized one brings its bit widths) and .hwq integer models
export { getNetwork, zooNames, zooEntries, type ZooEntry } from './model/zoo.js';
export { loadNetwork } from './cli/network-source.js';
export { importOnnx, type ImportOptions } from './model/onnx-import.js';
export { computeLayers, networkMacs, networkParams, type Network, type Layer, type ComputeLayer, type Precision } from './model/ir.js';

// simulation (`hwq sim`, `hwq sweep`)
export { simulateNetwork, type SimOptions } from '../sim/simulate.js';
export { simulateRef, type RefOptions } from '../sim/ref/bitfusion-ref.js';
export { runSimulation, SIM_MODELS, DEFAULT_CONFIG } from './cli/sim-options.js';
export { parsePrecision, precisionLabel, planPrecisions, readOverrides, type PrecisionOptions, type PrecisionPlan } from '../sim/precision.js';
export { runSweep, sweepPointCount, parseArrays, type SweepPoint, type SweepSpec } from '../sim/sweep.js';
export type { NetworkSimResult, LayerSimResult, SimModelName, Traffic, EnergyBreakdown } from '../sim/types.js';

// quantization (`hwq quantize`)
export { quantizeFile, QUANTIZE_DEFAULTS, type QuantizeFileOptions, type QuantizeFileResult } from './cli/commands/quantize.js';
export { quantizeModel, type QuantizeOptions as QuantizeModelOptions, type LayerReport } from './quant/quantize.js';
export { runRecipe } from './quant/pipeline/run.js';
export type { QuantRun } from './quant/pipeline/state.js';
export type { Recipe, PassSpec } from './quant/pipeline/spec.js';
export { RECIPES, findRecipe, parseRecipe, tuneRecipe } from './quant/recipes.js';
export { toQdqModel } from './quant/qdq.js';
export { writeHwq, saveHwq } from './quant/hwq-export.js';
export { loadHwq } from './intmodel/format.js';
export type { QuantModel } from './quant/types.js';
export { loadModel, saveModel, encodeModel, type ModelProto } from './onnx/proto.js';

// accuracy (`hwq eval`, `hwq compare`)
export { runEval, type EvalArgs } from './cli/commands/eval.js';
export type { EvalResult } from './eval/evaluate.js';
export { runCompare, type CompareOptions, type CompareResult } from './quant/compare.js';
