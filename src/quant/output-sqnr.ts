// Per-layer output SQNR of a quantized model against its float model: both run by onnxruntime on the same
// images with every quantized layer's output exposed, 10 log10(sum y^2 / sum (y - y_q)^2) per layer.
import { withOutputs } from '../onnx/expose.js';
import { openModel } from '../onnx/run.js';
import type { IModelProto } from '../onnx/proto.js';
import type { Batch } from '../data/batches.js';

export async function outputSqnr(floatModel: IModelProto, quantModel: IModelProto, tensors: string[], data: AsyncIterable<Batch>, inputDims: (b: Batch) => number[]): Promise<Map<string, number>> {
  const unique = [...new Set(tensors)];
  const [f, q] = await Promise.all([openModel(withOutputs(floatModel, unique), 2), openModel(withOutputs(quantModel, unique), 2, 'basic')]);
  const signal = new Map(unique.map((t) => [t, 0]));
  const noise = new Map(unique.map((t) => [t, 0]));
  try {
    for await (const b of data) {
      const feed = { [f.inputNames[0]]: { dims: inputDims(b), data: b.data } };
      const [yf, yq] = await Promise.all([f.run(feed, unique), q.run({ [q.inputNames[0]]: feed[f.inputNames[0]] }, unique)]);
      for (const t of unique) {
        const a = yf.get(t)!.data as Float32Array;
        const c = yq.get(t)!.data as Float32Array;
        let s = 0, n = 0;
        for (let i = 0; i < a.length; i++) {
          s += a[i] * a[i];
          n += (a[i] - c[i]) ** 2;
        }
        signal.set(t, signal.get(t)! + s);
        noise.set(t, noise.get(t)! + n);
      }
    }
  } finally {
    await Promise.all([f.release(), q.release()]);
  }
  return new Map(unique.map((t) => [t, noise.get(t)! === 0 ? Infinity : 10 * Math.log10(signal.get(t)! / noise.get(t)!)]));
}
