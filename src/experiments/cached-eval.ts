// Decoded image sets kept in memory and top-1/top-5 of a model over them: the report scripts quantize many
// models of one network, so the images are decoded once and every model is run by onnxruntime on the same
// tensors.
import { openModel } from '../onnx/run.js';
import { openDataSet } from '../data/dataset.js';
import { batches, type Batch } from '../data/batches.js';
import { PRESETS, type PresetName } from '../data/preprocess.js';
import { addBatch, emptyCounts } from '../eval/metrics.js';
import { runLogits } from '../quant/lapq/evaluator.js';

export async function decodeAll(path: string, preset: PresetName, opts: { limit?: number; seed?: number }): Promise<Batch[]> {
  const ds = openDataSet(path, opts);
  const out: Batch[] = [];
  for await (const b of batches(ds.samples, PRESETS[preset], { batchSize: 32 })) out.push(b);
  return out;
}

export function inputDims(preset: PresetName): (b: Batch) => number[] {
  const spec = PRESETS[preset];
  return (b) => [b.count, spec.channels === 'gray' ? 1 : 3, spec.height, spec.width];
}

export const imageCount = (data: readonly Batch[]): number => data.reduce((s, b) => s + b.count, 0);

export interface Accuracy {
  top1: number;
  top5: number;
  images: number;
  /** Per image in data order, 1 if its top-1 class was right (for paired comparisons, eval/metrics pairedTop1). */
  top1Hits: number[];
}

/** `fixedBatch`: the model's fixed batch size, if it has one (each run is padded to it). */
export async function accuracy(
  bytes: Uint8Array, data: readonly Batch[], dims: (b: Batch) => number[], optimization: 'basic' | 'all', fixedBatch?: number,
): Promise<Accuracy> {
  const m = await openModel(bytes, 2, optimization);
  const acc = emptyCounts(true);
  try {
    for (const b of data) {
      const logits = await runLogits(m, { name: m.inputNames[0], fixedBatch }, b, dims(b).slice(1));
      addBatch(acc, logits, logits.length / b.count, b.labels);
    }
  } finally {
    await m.release();
  }
  return { top1: acc.top1 / acc.count, top5: acc.top5 / acc.count, images: acc.count, top1Hits: acc.top1Hits! };
}
