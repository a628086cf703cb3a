// Streams a data set as Float32Array batches laid out as the model takes them (NCHW, NHWC, or .npy tensors).
// Decoding (jpeg-js is the slow part) runs in worker threads so it overlaps with inference and uses both cores;
// batches are keyed by index and yielded in order, and each batch is a pure function of its samples, so the
// output does not depend on thread timing.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { decodeBatch } from './decode-batch.js';
import type { Sample, SampleSource } from './dataset.js';
import { isTensorSpec, sampleSize, type InputSpec } from './input-spec.js';

export interface Batch {
  /** Position of the first sample in the data set's sample list. */
  start: number;
  count: number;
  /** count samples' floats: count x C x H x W, count x H x W x C, or count x the tensor dims (see InputSpec). */
  data: Float32Array;
  labels: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** Decode threads; 0 decodes on the calling thread. Default: one per core. */
  workers?: number;
}

export interface DecodeRequest {
  id: number;
  sources: SampleSource[];
  spec: InputSpec;
}

export type DecodeReply = { id: number; data: Float32Array } | { id: number; error: string; user: boolean };

// Resolved at run time from this module's own location (not a `new URL(literal, import.meta.url)`), so a bundler
// does not copy the worker out of its module graph; in a bundle the files are absent and decoding stays in-process.
const HERE = dirname(fileURLToPath(import.meta.url));
const sibling = (name: string): string => join(HERE, name);
const WORKER_FILE = sibling('decode-worker.js');

/** One decode thread per core when the compiled worker and its imports sit next to this module, else 0. */
export function defaultWorkers(): number {
  const ok = [WORKER_FILE, sibling('decode-batch.js')].every((f) => existsSync(f));
  return ok ? Math.max(1, cpus().length) : 0;
}

export async function* batches(samples: readonly Sample[], spec: InputSpec, opts: BatchOptions): AsyncGenerator<Batch> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`invalid batch size ${batchSize}: it must be a positive integer`);
  const n = Math.ceil(samples.length / batchSize);
  const slice = (i: number): Sample[] => samples.slice(i * batchSize, Math.min(samples.length, (i + 1) * batchSize));
  const labelsOf = (s: Sample[]): Int32Array => Int32Array.from(s.map((x) => x.label));
  const available = defaultWorkers();
  // an .npy sample is one file read: a thread would cost more than it saves
  const workers = available === 0 ? 0 : Math.min(opts.workers ?? (isTensorSpec(spec) ? 0 : available), n);
  if (workers === 0) {
    for (let i = 0; i < n; i++) {
      const part = slice(i);
      yield { start: i * batchSize, count: part.length, data: decodeBatch(part.map((s) => s.source), spec), labels: labelsOf(part) };
    }
    return;
  }
  const pool = new WorkerPool(workers);
  try {
    // Two batches in flight per worker keeps every thread busy while the consumer runs the model.
    const inFlight = new Map<number, Promise<Float32Array>>();
    let next = 0;
    const fill = (): void => {
      while (next < n && inFlight.size < 2 * workers) {
        const part = slice(next);
        const job = pool.run(next, part.map((s) => transferable(s.source)), spec);
        job.catch(() => undefined); // observed when awaited in order; this only stops an early unhandled rejection
        inFlight.set(next, job);
        next++;
      }
    };
    for (let i = 0; i < n; i++) {
      fill();
      const data = await inFlight.get(i)!;
      inFlight.delete(i);
      fill();
      const part = slice(i);
      if (data.length !== part.length * sampleSize(spec)) throw new Error(`decode worker returned ${data.length} floats for batch ${i}`);
      yield { start: i * batchSize, count: part.length, data, labels: labelsOf(part) };
    }
  } finally {
    await pool.close();
  }
}

/** In-memory pixels are views into one big IDX buffer; cloning a view would copy the whole buffer. */
function transferable(s: SampleSource): SampleSource {
  return s.kind === 'pixels' ? { ...s, image: { ...s.image, data: s.image.data.slice() } } : s;
}

class WorkerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (d: Float32Array) => void; reject: (e: Error) => void }>();
  private turn = 0;
  private failure: Error | undefined;

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(WORKER_FILE);
      w.on('message', (r: DecodeReply) => this.settle(r));
      w.on('error', (e) => this.failAll(e));
      w.on('exit', (code) => {
        if (code !== 0) this.failAll(new Error(`decode worker exited with code ${code}`));
      });
      return w;
    });
  }

  run(id: number, sources: SampleSource[], spec: InputSpec): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: DecodeRequest = { id, sources, spec };
      this.workers[this.turn++ % this.workers.length].postMessage(req);
    });
  }

  private settle(r: DecodeReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if ('error' in r) p.reject(r.user ? new UserError(r.error) : new Error(r.error));
    else p.resolve(r.data);
  }

  private failAll(e: Error): void {
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    // Rejections of batches nobody awaits any more (early exit) must not surface as unhandled.
    for (const p of this.pending.values()) p.reject(new Error('decode pool closed'));
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
