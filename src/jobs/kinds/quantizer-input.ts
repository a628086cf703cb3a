// What every job that runs the quantizer reads ('quantize', 'sensitivity'): the model, read as `hwq quantize` and
// `hwq codesign` read it (a quantized ONNX file dequantized to float, Conv1d as Conv2d, the given per-sample input
// dims filled in), the recipe, and the calibration data set with the run's seed and output positions.
import { basename } from 'node:path';
import type { InputSpec } from '../../data/input-spec.js';
import { inputDims } from '../../data/input-spec.js';
import { type ModelProto, decodeModel } from '../../onnx/proto.js';
import { asFloat, quantizedFormat } from '../../onnx/dequantize-model.js';
import { conv1dAs2d, hasConv1d } from '../../onnx/conv1d.js';
import { withInputShape } from '../../cli/data-options.js';
import type { Recipe } from '../../quant/pipeline/spec.js';
import type { QuantRun } from '../../quant/pipeline/state.js';
import { type DataRef, fileRef, toBinary } from '../job.js';
import { decodedBatches } from '../data-ref.js';
import { type ModelRef, modelBytes, modelWhat } from './model-input.js';

export interface QuantizerSpec {
  model: ModelRef;
  /** Per-sample input dims for a model with symbolic ones (--input-shape). */
  inputShape?: number[];
  /** The model's name inside the .hwq file. */
  name: string;
  recipe: Recipe;
  calibration: DataRef;
  /** How the calibration samples are fed (preprocessing, layout, or .npy tensor dims). */
  input: InputSpec;
  /** Calibration batch size (the model's fixed batch, if it has one). */
  batchSize: number;
  positions: number;
  seed: number;
}

/** A quantizer job's inputs as callers give them: the model as a path (hashed here) or as bytes, the name optional. */
export type QuantizerInputs<S extends QuantizerSpec> = Omit<S, 'model' | 'name'> & { model: string | Uint8Array; name?: string };

/** The spec of `q`; `name` defaults to the model file's base name without .onnx. */
export function quantizerSpec<S extends QuantizerSpec>(q: QuantizerInputs<S>): S {
  const model = typeof q.model === 'string' ? fileRef(q.model) : toBinary(q.model);
  const name = q.name ?? (typeof q.model === 'string' ? basename(q.model).replace(/\.onnx$/i, '') : 'model');
  return { ...q, model, name } as unknown as S;
}

export interface QuantizerSetup {
  source: ModelProto;
  /** How messages name the model. */
  what: string;
  /** The run's settings but its bit widths. */
  run: Omit<QuantRun, 'aBits' | 'wBits' | 'firstLast' | 'layerBits'>;
}

/** The float model and the calibration run a quantizer job's spec describes. */
export async function quantizerSetup(s: QuantizerSpec): Promise<QuantizerSetup> {
  const what = modelWhat(s.model, s.name);
  const loaded = decodeModel(modelBytes(s.model), what);
  const float = quantizedFormat(loaded) ? asFloat(loaded, what) : loaded;
  const source = withInputShape(hasConv1d(float) ? conv1dAs2d(float) : float, { 'input-shape': s.inputShape }, what);
  const calib = await decodedBatches(s.calibration, s.input, s.batchSize);
  return {
    source, what,
    run: {
      calibration: { batches: async function* () { yield* calib; }, count: calib.length, inputDims: (b) => inputDims(s.input, b.count) },
      positions: s.positions,
      seed: s.seed,
    },
  };
}
