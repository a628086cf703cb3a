// 'quantize': a model quantized by a recipe at given precisions (uniform, first/last, and per layer) with a
// calibration data set, the run's seed and output positions -> the .hwq integer model and the QDQ ONNX model
// onnxruntime runs, as bytes. The model is read as `hwq quantize` and `hwq codesign` read it: a quantized ONNX
// file dequantized to float, Conv1d as Conv2d, and the given per-sample input dims filled in.
import { basename } from 'node:path';
import type { Precision } from '../../model/ir.js';
import type { InputSpec } from '../../data/input-spec.js';
import { inputDims } from '../../data/input-spec.js';
import { decodeModel } from '../../onnx/proto.js';
import { asFloat, quantizedFormat } from '../../onnx/dequantize-model.js';
import { conv1dAs2d, hasConv1d } from '../../onnx/conv1d.js';
import { withInputShape } from '../../cli/data-options.js';
import type { Recipe } from '../../quant/pipeline/spec.js';
import { runRecipe } from '../../quant/pipeline/run.js';
import { toQdqBytes } from '../../quant/qdq.js';
import { writeHwq } from '../../quant/hwq-export.js';
import { type Binary, type DataRef, type Job, fileRef, fromBinary, makeJob, registerJob, toBinary } from '../job.js';
import { decodedBatches } from '../data-ref.js';
import { type ModelRef, modelBytes, modelWhat } from './model-input.js';

export const QUANTIZE = 'quantize';

export interface QuantizeBits {
  /** Activation bits (null: weights only). */
  aBits: number | null;
  wBits: number;
  /** First and last compute layer at these bits (null: as the others). */
  firstLast: number | null;
  /** Per compute layer (IR names), over the uniform and first/last widths. */
  layerBits?: Record<string, Precision>;
}

export interface QuantizeSpec {
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
  bits: QuantizeBits;
}

export interface QuantizeResult {
  hwq: Binary;
  qdq: Binary;
}

async function quantize(s: QuantizeSpec): Promise<QuantizeResult> {
  const what = modelWhat(s.model, s.name);
  const loaded = decodeModel(modelBytes(s.model), what);
  const float = quantizedFormat(loaded) ? asFloat(loaded, what) : loaded;
  const source = withInputShape(hasConv1d(float) ? conv1dAs2d(float) : float, { 'input-shape': s.inputShape }, what);
  const calib = await decodedBatches(s.calibration, s.input, s.batchSize);
  const { model } = await runRecipe(source, what, s.name, s.recipe, {
    ...s.bits,
    calibration: { batches: async function* () { yield* calib; }, count: calib.length, inputDims: (b) => inputDims(s.input, b.count) },
    positions: s.positions,
    seed: s.seed,
  });
  return { hwq: toBinary(writeHwq(model)), qdq: toBinary(toQdqBytes(model)) };
}

export const quantizeKind = registerJob<QuantizeSpec, QuantizeResult>({ kind: QUANTIZE, run: quantize });

/** What quantizeJob takes: the spec with the model as a path (hashed here) or as bytes. */
export type QuantizeInputs = Omit<QuantizeSpec, 'model' | 'name'> & { model: string | Uint8Array; name?: string };

/** A 'quantize' job; `name` defaults to the model file's base name without .onnx. */
export function quantizeJob(q: QuantizeInputs): Job<QuantizeSpec> {
  const model = typeof q.model === 'string' ? fileRef(q.model) : toBinary(q.model);
  const name = q.name ?? (typeof q.model === 'string' ? basename(q.model).replace(/\.onnx$/i, '') : 'model');
  return makeJob<QuantizeSpec>(QUANTIZE, { ...q, model, name });
}

/** A 'quantize' result as the two files' bytes. */
export function quantizedFiles(r: unknown): { hwq: Uint8Array; qdq: Uint8Array } {
  const q = r as QuantizeResult;
  return { hwq: fromBinary(q.hwq), qdq: fromBinary(q.qdq) };
}
