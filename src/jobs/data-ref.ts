// Data sets as job inputs (DataRef, job.ts): made from a path and open options where the data is, reopened and
// checked against the hash where the job runs. Decoded batches are kept for the last few data sets a process used,
// so jobs that share their images (every mix of one quantization campaign) decode them once per thread.
import { resolve } from 'node:path';
import { type Batch, batches } from '../data/batches.js';
import { openDataSet, type Sample } from '../data/dataset.js';
import type { InputSpec } from '../data/input-spec.js';
import { samplesHash } from '../data/samples-hash.js';
import { UserError } from '../errors.js';
import type { DataRef } from './job.js';

/** The samples openDataSet(dataset, open) gives, sliced to [from, to), as a job input. */
export function dataRef(dataset: string, open: DataRef['open'] = {}, from?: number, to?: number): DataRef {
  const o = { ...open, ...(open.labels !== undefined ? { labels: resolve(open.labels) } : {}) };
  const path = resolve(dataset);
  const samples = openDataSet(path, o).samples.slice(from ?? 0, to);
  return { dataset: path, open: o, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), sha256: samplesHash(samples) };
}

/** The samples of `ref`, refusing data that is not what the job was keyed on. */
export function openDataRef(ref: DataRef): Sample[] {
  const samples = openDataSet(ref.dataset, ref.open).samples.slice(ref.from ?? 0, ref.to);
  const sha = samplesHash(samples);
  if (sha !== ref.sha256) {
    throw new UserError(`job data '${ref.dataset}' has changed since the job was made (samples hash ${sha.slice(0, 12)}, expected ${ref.sha256.slice(0, 12)})`);
  }
  return samples;
}

/** Data sets kept decoded: a job may read two (a sensitivity job's calibration and held-out images), and jobs of one
 *  campaign on a thread alternate between them and the evaluation images. */
export const KEPT_DATA_SETS = 3;

/** Decoded data sets by id, the least recently used first. */
const kept = new Map<string, Promise<Batch[]>>();

/** The decoded batches of `ref` through `spec`, `batchSize` samples each (the last KEPT_DATA_SETS used are kept). */
export function decodedBatches(ref: DataRef, spec: InputSpec, batchSize: number): Promise<Batch[]> {
  const id = JSON.stringify([ref.sha256, spec, batchSize]);
  let p = kept.get(id);
  if (p) kept.delete(id);
  else {
    const decoding = (async () => {
      const out: Batch[] = [];
      for await (const b of batches(openDataRef(ref), spec, { batchSize })) out.push(b);
      return out;
    })();
    // a failed decode is not kept: the next job tries again and reports its own error
    decoding.catch(() => kept.get(id) === decoding && kept.delete(id));
    p = decoding;
  }
  kept.set(id, p);
  while (kept.size > KEPT_DATA_SETS) kept.delete(kept.keys().next().value!);
  return p;
}
