// 'quantize': a model quantized by a recipe at given precisions (uniform, first/last, and per layer) with a
// calibration data set, the run's seed and output positions -> the .hwq integer model and the QDQ ONNX model
// onnxruntime runs, as bytes. The model and calibration are read as quantizer-input.ts describes.
import type { Precision } from '../../model/ir.js';
import { runRecipe } from '../../quant/pipeline/run.js';
import { toQdqBytes } from '../../quant/qdq.js';
import { writeHwq } from '../../quant/hwq-export.js';
import { type Binary, type Job, fromBinary, makeJob, registerJob, toBinary } from '../job.js';
import { type QuantizerInputs, type QuantizerSpec, quantizerSetup, quantizerSpec } from './quantizer-input.js';

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

export interface QuantizeSpec extends QuantizerSpec {
  bits: QuantizeBits;
}

export interface QuantizeResult {
  hwq: Binary;
  qdq: Binary;
}

async function quantize(s: QuantizeSpec): Promise<QuantizeResult> {
  const { source, what, run } = await quantizerSetup(s);
  const { model } = await runRecipe(source, what, s.name, s.recipe, { ...s.bits, ...run });
  return { hwq: toBinary(writeHwq(model)), qdq: toBinary(toQdqBytes(model)) };
}

export const quantizeKind = registerJob<QuantizeSpec, QuantizeResult>({ kind: QUANTIZE, run: quantize });

/** What quantizeJob takes: the spec with the model as a path (hashed here) or as bytes. */
export type QuantizeInputs = QuantizerInputs<QuantizeSpec>;

/** A 'quantize' job; `name` defaults to the model file's base name without .onnx. */
export function quantizeJob(q: QuantizeInputs): Job<QuantizeSpec> {
  return makeJob<QuantizeSpec>(QUANTIZE, quantizerSpec<QuantizeSpec>(q));
}

/** A 'quantize' result as the two files' bytes. */
export function quantizedFiles(r: unknown): { hwq: Uint8Array; qdq: Uint8Array } {
  const q = r as QuantizeResult;
  return { hwq: fromBinary(q.hwq), qdq: fromBinary(q.qdq) };
}
