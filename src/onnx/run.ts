// Running a model with onnxruntime-node: the reference the importer's shapes and the quantizer's
// calibration are checked against.
import * as ort from './ort.js';
import { UserError } from '../errors.js';
import { runnableModel } from './fold-dequant.js';

export interface RunTensor {
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Float64Array;
}

export interface OrtModel {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, RunTensor>, outputs?: string[]): Promise<Map<string, RunTensor>>;
  release(): Promise<void>;
}

const TYPE_OF = (d: RunTensor['data']): 'float32' | 'int32' | 'int64' | 'uint8' | 'int8' | 'float64' =>
  d instanceof Float32Array ? 'float32' : d instanceof Int32Array ? 'int32' : d instanceof BigInt64Array ? 'int64'
    : d instanceof Uint8Array ? 'uint8' : d instanceof Int8Array ? 'int8' : 'float64';

export type Optimization = 'disabled' | 'basic' | 'extended' | 'all';

/**
 * Opens a model from its bytes; a model onnxruntime rejects becomes a UserError with its message.
 * `optimization` applies to float graphs: a QDQ model has its weight dequantization folded and, when it
 * quantizes activations, runs unoptimized (fold-dequant.ts), so it computes its graph as written on any CPU.
 */
export async function openModel(bytes: Uint8Array, threads = 1, optimization: Optimization = 'all'): Promise<OrtModel> {
  let s: ort.InferenceSession;
  const runnable = runnableModel(bytes);
  try {
    s = await ort.InferenceSession.create(runnable.bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: runnable.unoptimized ? 'disabled' : optimization });
  } catch (e) {
    throw new UserError(`onnxruntime cannot load the model: ${(e as Error).message}`);
  }
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(feeds, outputs) {
      const f: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(TYPE_OF(v.data), v.data, v.dims);
      const res = outputs ? await s.run(f, outputs) : await s.run(f);
      const out = new Map<string, RunTensor>();
      for (const [k, v] of Object.entries(res)) out.set(k, { dims: [...v.dims], data: v.data as RunTensor['data'] });
      return out;
    },
    release: () => s.release(),
  };
}
