// One batch of samples -> one NCHW Float32Array. Shared by the in-process path and the decode workers, so both
// produce bit-identical input.
import { readImageFile, type RawImage } from './image.js';
import { normalizeTables, outputChannels, preprocessInto, type PreprocessSpec } from './preprocess.js';
import type { SampleSource } from './dataset.js';

export function imageSize(spec: PreprocessSpec): number {
  return outputChannels(spec) * spec.height * spec.width;
}

export function loadSource(s: SampleSource): RawImage {
  return s.kind === 'file' ? readImageFile(s.path) : s.image;
}

export function decodeBatch(sources: readonly SampleSource[], spec: PreprocessSpec): Float32Array {
  const size = imageSize(spec);
  const out = new Float32Array(sources.length * size);
  const tables = normalizeTables(spec);
  sources.forEach((s, i) => preprocessInto(loadSource(s), spec, out, i * size, tables));
  return out;
}
