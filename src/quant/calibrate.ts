// Calibration: runs the prepared float model on the calibration images with the quantized layers' input
// tensors exposed as extra outputs, and collects each tensor's statistics.
import type { Batch } from '../data/batches.js';
import { withOutputs } from '../onnx/expose.js';
import { openModel } from '../onnx/run.js';
import type { ModelProto } from '../onnx/proto.js';
import { ActStats, ActStatsCollector } from './act-stats.js';
import { UserError } from '../errors.js';

export interface CalibrationOptions {
  /** Values kept per tensor for the clipping searches. */
  sampleCap: number;
  batches: number;
  onBatch?: (done: number) => void;
  /** Tensors whose per-channel subsamples are kept too, and how many values per channel. */
  channelSamples?: { tensors: ReadonlySet<string>; cap: number };
}

export async function calibrate(model: ModelProto, tensors: string[], data: AsyncIterable<Batch>, inputDims: (b: Batch) => number[], opts: CalibrationOptions): Promise<Map<string, ActStats>> {
  const unique = [...new Set(tensors)];
  const session = await openModel(withOutputs(model, unique), 2);
  const inputName = session.inputNames[0];
  const collectors = new Map(unique.map((t) => [t, new ActStatsCollector(opts.sampleCap, opts.batches, opts.channelSamples?.tensors.has(t) ? opts.channelSamples.cap : 0)]));
  let done = 0;
  try {
    for await (const b of data) {
      // Graph inputs that are also exposed (the first layer reads the image) come from the batch itself.
      // A network of one layer exposes nothing but its input: onnxruntime then has nothing to fetch.
      const fetch = unique.filter((t) => t !== inputName);
      const out = fetch.length ? await session.run({ [inputName]: { dims: inputDims(b), data: b.data } }, fetch) : new Map();
      for (const t of unique) {
        const v = t === inputName ? b.data : out.get(t)?.data;
        if (!(v instanceof Float32Array)) throw new UserError(`calibration: tensor '${t}' is not float32`);
        collectors.get(t)!.add(v, t === inputName ? inputDims(b) : out.get(t)!.dims);
      }
      done++;
      opts.onBatch?.(done);
    }
  } finally {
    await session.release();
  }
  if (done === 0) throw new UserError('calibration set is empty');
  return new Map([...collectors].map(([t, c]) => [t, c.result()]));
}
