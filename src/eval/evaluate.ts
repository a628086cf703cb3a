// Batched float (or quantized) inference over a data set with onnxruntime: top-1/top-5 and throughput.
import * as ort from '../onnx/ort.js';
import { UserError } from '../errors.js';
import { batches } from '../data/batches.js';
import type { DataSet } from '../data/dataset.js';
import { NPY_LABELS_REMEDY } from '../data/npy-dataset.js';
import { inputDims, isTensorSpec, sampleSize, type InputSpec } from '../data/input-spec.js';
import { addBatch, emptyCounts, type ClassAccuracy } from './metrics.js';
import { progress, type ProgressMode } from '../cli/progress.js';
import { checkClassesCoverLabels, checkInputMatches, fixedBatch, openModel, type OpenModel, type SessionTuning } from './session.js';

/**
 * Batches of 4-16 ran fastest on 2 cores for both ResNet-20 and MobileNetV2; larger ones lost 10-15 %, presumably
 * because the activations of a big batch no longer stay in cache. See the float-accuracy report.
 */
export const DEFAULT_BATCH = 8;

/**
 * Small inputs (CIFAR-size) decode in a fraction of a millisecond, less than a worker round trip costs while
 * onnxruntime holds both cores: the main thread was fastest in every sweep. Larger JPEGs use the worker pool;
 * .npy samples are a file read, never worth a thread.
 */
export function defaultDecodeWorkers(spec: InputSpec): number | undefined {
  return isTensorSpec(spec) || spec.height * spec.width <= 64 * 64 ? 0 : undefined;
}

export interface EvalOptions {
  batchSize?: number;
  /** Decode threads (0 = decode on the main thread). Default: see defaultDecodeWorkers. */
  workers?: number;
  /** Draw a progress bar on stderr; default: only when stderr is a terminal. */
  progress?: ProgressMode;
  tuning?: SessionTuning;
  /** Also return each image's top-1 hit (EvalResult.top1Hits), for paired comparisons of two models. */
  keepHits?: boolean;
}

export interface EvalResult {
  model: string;
  data: string;
  preprocess: string;
  images: number;
  top1Correct: number;
  top5Correct: number;
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
  imagesPerSecond: number;
  /** Wall time of decoding + inference (the model load is excluded). */
  seconds: number;
  batchSize: number;
  /** Top-1 per class label, for the classes present. */
  perClass: Map<number, ClassAccuracy>;
  /** With keepHits: per image in evaluation order, 1 if its top-1 class was right. */
  top1Hits?: number[];
}

export async function evaluate(modelPath: string, data: DataSet, spec: InputSpec, opts: EvalOptions = {}): Promise<EvalResult> {
  const model = await openModel(modelPath, opts.tuning);
  try {
    return await evaluateOpen(model, data, spec, opts);
  } finally {
    await model.session.release();
  }
}

/** The largest label among the samples to evaluate. */
export function maxLabel(data: DataSet): number {
  return data.samples.reduce((m, s) => Math.max(m, s.label), 0);
}

/** Before any image runs: the input size fits the preprocessing, the declared output covers every label. */
export function checkModelFits(model: OpenModel, data: DataSet, spec: InputSpec): void {
  checkInputMatches(model, spec);
  if (data.samples.length === 0) throw new UserError(`data set '${data.path}' has no samples to evaluate`);
  if (data.unlabelled) {
    throw new UserError(`accuracy needs labels but the .npy samples in '${data.path}' have none: ${NPY_LABELS_REMEDY}`);
  }
  if (model.outputShape) checkClassesCoverLabels(model, model.outputShape, maxLabel(data), data.path);
}

export async function evaluateOpen(model: OpenModel, data: DataSet, spec: InputSpec, opts: EvalOptions = {}): Promise<EvalResult> {
  checkModelFits(model, data, spec);
  const worst = maxLabel(data);
  const fixed = fixedBatch(model);
  const requested = opts.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(requested) || requested < 1) throw new UserError(`invalid batch size ${requested}: it must be a positive integer`);
  // A model exported with a fixed batch dimension only accepts that size; the last batch is zero-padded.
  const batchSize = fixed ?? requested;
  const per = sampleSize(spec);
  const dims = inputDims(spec, batchSize);
  const bar = progress('eval images', opts.progress ?? 'auto');
  const acc = emptyCounts(opts.keepHits ?? false);
  const t0 = performance.now();
  try {
    for await (const b of batches(data.samples, spec, { batchSize, workers: opts.workers ?? defaultDecodeWorkers(spec) })) {
      let input = b.data;
      if (fixed !== undefined && b.count < fixed) {
        input = new Float32Array(fixed * per);
        input.set(b.data);
      }
      const tensor = new ort.Tensor('float32', input, fixed !== undefined ? dims : [b.count, ...dims.slice(1)]);
      const out = await model.session.run({ [model.inputName]: tensor });
      const logits = out[model.outputName];
      // Symbolic dims are only known now; a feature map must not pass as scores.
      checkClassesCoverLabels(model, logits.dims, worst, data.path, true);
      const rows = logits.dims[0];
      const numClasses = logits.dims[1];
      if (rows < b.count) throw new UserError(`model '${model.path}' returned ${rows} rows for a batch of ${b.count}`);
      addBatch(acc, logits.data as Float32Array, numClasses, b.labels);
      tensor.dispose();
      for (const t of Object.values(out)) t.dispose();
      bar.update(acc.count, data.samples.length);
    }
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    model: model.path,
    data: data.path,
    preprocess: spec.name,
    images: acc.count,
    top1Correct: acc.top1,
    top5Correct: acc.top5,
    top1: acc.top1 / acc.count,
    top5: acc.top5 / acc.count,
    imagesPerSecond: acc.count / seconds,
    seconds,
    batchSize,
    perClass: acc.perClass,
    ...(acc.top1Hits ? { top1Hits: acc.top1Hits } : {}),
  };
}
