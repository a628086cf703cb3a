// 'evaluate': an ONNX model (a file or bytes, e.g. a 'quantize' job's QDQ model) on a labelled data set ->
// top-1, top-5 and each image's top-1 hit in data order (for paired comparisons against another model).
import { inputDims, type InputSpec } from '../../data/input-spec.js';
import { accuracy, type Accuracy } from '../../experiments/cached-eval.js';
import { UserError } from '../../errors.js';
import { type DataRef, type Job, fileRef, makeJob, registerJob, toBinary } from '../job.js';
import { decodedBatches } from '../data-ref.js';
import { type ModelRef, modelBytes, modelWhat } from './model-input.js';

export const EVALUATE = 'evaluate';

export interface EvaluateSpec {
  model: ModelRef;
  data: DataRef;
  input: InputSpec;
  /** Images per onnxruntime run. */
  batchSize: number;
  /** The model's fixed batch size, if it has one (each run is padded to it). */
  fixedBatch?: number;
}

export interface EvaluateResult {
  top1: number;
  top5: number;
  images: number;
  /** Per image in data order, '1' where its top-1 class was right. */
  hits: string;
}

async function evaluate(s: EvaluateSpec): Promise<EvaluateResult> {
  const images = await decodedBatches(s.data, s.input, s.batchSize);
  if (images.some((b) => b.labels.some((l) => l < 0))) {
    throw new UserError(`evaluating ${modelWhat(s.model, 'the model')} needs labels but the samples of '${s.data.dataset}' have none`);
  }
  const a = await accuracy(modelBytes(s.model), images, (b) => inputDims(s.input, b.count), 'all', s.fixedBatch);
  return { top1: a.top1, top5: a.top5, images: a.images, hits: a.top1Hits.join('') };
}

export const evaluateKind = registerJob<EvaluateSpec, EvaluateResult>({ kind: EVALUATE, run: evaluate });

/** What evaluateJob takes: the spec with the model as a path (hashed here) or as bytes. */
export type EvaluateInputs = Omit<EvaluateSpec, 'model'> & { model: string | Uint8Array };

export function evaluateJob(e: EvaluateInputs): Job<EvaluateSpec> {
  return makeJob<EvaluateSpec>(EVALUATE, { ...e, model: typeof e.model === 'string' ? fileRef(e.model) : toBinary(e.model) });
}

/** An 'evaluate' result as cached-eval's Accuracy. */
export function accuracyOf(r: unknown): Accuracy {
  const e = r as EvaluateResult;
  return { top1: e.top1, top5: e.top5, images: e.images, top1Hits: [...e.hits].map(Number) };
}
