// Data sets as job inputs (DataRef, job.ts): made from a path and open options where the data is, reopened and
// checked against the hash where the job runs. Decoded batches are kept for the last data set a process used,
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

let last: { id: string; batches: Promise<Batch[]> } | undefined;

/** The decoded batches of `ref` through `spec`, `batchSize` samples each (the last data set decoded is kept). */
export function decodedBatches(ref: DataRef, spec: InputSpec, batchSize: number): Promise<Batch[]> {
  const id = JSON.stringify([ref.sha256, spec, batchSize]);
  if (last?.id !== id) {
    const p = (async () => {
      const out: Batch[] = [];
      for await (const b of batches(openDataRef(ref), spec, { batchSize })) out.push(b);
      return out;
    })();
    // a failed decode is not kept: the next job tries again and reports its own error
    p.catch(() => last?.batches === p && (last = undefined));
    last = { id, batches: p };
  }
  return last.batches;
}
