// What a model's input is fed: decoded images through a PreprocessSpec (laid out NCHW or, for channels-last
// exports, NHWC), or .npy tensors taken as they are. Batches, evaluation and calibration size and shape their
// input tensors from this one description.
import { outputChannels, type PreprocessSpec } from './preprocess.js';

export { TENSOR_LAYOUTS, type TensorLayout } from './preprocess.js';

/** Tensors read from .npy files, each sample of `dims` (the model input's dims without the batch). */
export interface TensorSpec {
  kind: 'tensor';
  /** For reports, like a preprocessing preset's name. */
  name: 'npy';
  dims: number[];
}

export type InputSpec = PreprocessSpec | TensorSpec;

export function isTensorSpec(s: InputSpec): s is TensorSpec {
  return (s as TensorSpec).kind === 'tensor';
}

/** One sample's dims as the model takes them: C x H x W, H x W x C, or the tensor dims. */
export function sampleDims(s: InputSpec): number[] {
  if (isTensorSpec(s)) return s.dims.slice();
  const c = outputChannels(s);
  return s.layout === 'nhwc' ? [s.height, s.width, c] : [c, s.height, s.width];
}

/** The input tensor's dims for a batch of `n` samples. */
export function inputDims(s: InputSpec, n: number): number[] {
  return [n, ...sampleDims(s)];
}

/** Floats per sample. */
export function sampleSize(s: InputSpec): number {
  return sampleDims(s).reduce((a, d) => a * d, 1);
}

/** The openDataSet option .npy data needs: the per-sample dims that tell one sample from a stack of them. */
export function sampleDimsOption(s: InputSpec): { sampleDims?: number[] } {
  return isTensorSpec(s) ? { sampleDims: s.dims.slice() } : {};
}
