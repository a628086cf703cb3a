// One batch of samples -> one Float32Array laid out as the model takes it. Shared by the in-process path and the
// decode workers, so both produce bit-identical input.
import { UserError } from '../errors.js';
import { readImageFile, type RawImage } from './image.js';
import { isTensorSpec, sampleSize, type InputSpec } from './input-spec.js';
import { readNpySamples } from './npy.js';
import { normalizeTables, preprocessInto } from './preprocess.js';
import type { SampleSource } from './dataset.js';

export function loadSource(s: SampleSource): RawImage {
  if (s.kind === 'tensor') throw new UserError(`'${s.path}' is an .npy array, not an image`);
  return s.kind === 'file' ? readImageFile(s.path) : s.image;
}

export function decodeBatch(sources: readonly SampleSource[], spec: InputSpec): Float32Array {
  const size = sampleSize(spec);
  const out = new Float32Array(sources.length * size);
  if (isTensorSpec(spec)) {
    // consecutive samples of one stacked file come in one read
    for (let i = 0; i < sources.length;) {
      const s = sources[i];
      if (s.kind !== 'tensor') throw new UserError(`the model is fed .npy tensors but '${s.kind === 'file' ? s.path : s.id}' is an image`);
      let n = 1;
      while (i + n < sources.length && sameRun(s, sources[i + n], n)) n++;
      out.set(readNpySamples(s.path, s.header, s.index, n, size), i * size);
      i += n;
    }
    return out;
  }
  const tables = normalizeTables(spec);
  sources.forEach((s, i) => preprocessInto(loadSource(s), spec, out, i * size, tables));
  return out;
}

function sameRun(first: SampleSource & { kind: 'tensor' }, s: SampleSource, offset: number): boolean {
  return s.kind === 'tensor' && s.path === first.path && s.index === first.index + offset;
}
