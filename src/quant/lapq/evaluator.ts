// The network loss of a quantized model on cached calibration images, evaluated fast enough to sit inside a
// search: one onnxruntime session of the scale-input QDQ model (weights, weight scales, activation scales and
// clip bounds fed per run), so a new clip vector costs one forward pass and no model rebuild.
import type { Batch } from '../../data/batches.js';
import { fixedBatchOf, modelInput } from '../../data/model-input.js';
import { encodeModel } from '../../onnx/proto.js';
import { type OrtModel, openModel } from '../../onnx/run.js';
import { UserError } from '../../errors.js';
import { type ScaleInputNames, scaleInputFeeds, scaleInputNames, toQdqModel } from '../qdq.js';
import type { QuantModel } from '../types.js';
import { crossEntropySum, klSum, logSoftmax } from './loss.js';

/** Images fed in one run. */
export interface ImageChunk {
  data: Float32Array;
  count: number;
  labels: Int32Array;
}

/** The first `images` images of `batches`, regrouped into runs of at most `perRun` images. */
export function imageChunks(batches: readonly Batch[], images: number, perRun: number, imageSize: number): ImageChunk[] {
  const total = Math.min(images, batches.reduce((s, b) => s + b.count, 0));
  if (total === 0) throw new UserError('LAPQ needs calibration images: the calibration set is empty');
  const out: ImageChunk[] = [];
  let bi = 0, off = 0;
  for (let done = 0; done < total;) {
    const n = Math.min(perRun, total - done);
    const data = new Float32Array(n * imageSize);
    const labels = new Int32Array(n);
    for (let k = 0; k < n;) {
      const b = batches[bi];
      const take = Math.min(n - k, b.count - off);
      data.set(b.data.subarray(off * imageSize, (off + take) * imageSize), k * imageSize);
      labels.set(b.labels.subarray(off, off + take), k);
      k += take;
      off += take;
      if (off === b.count) { bi++; off = 0; }
    }
    out.push({ data, count: n, labels });
    done += n;
  }
  return out;
}

export interface EvaluatorOptions {
  /** Cross-entropy against the chunks' labels; otherwise KL divergence from the float model's outputs. */
  labels: boolean;
  /** Per-image dims (C, H, W). */
  imageDims: number[];
  threads: number;
}

/** The image input (the prepared graph's first data input) and its fixed batch size, if any. */
export function dataInputOf(q: QuantModel): RunInput {
  const input = modelInput(q.prepared);
  if (!input) throw new UserError(`LAPQ: the model ${q.name} has no data input`);
  return { name: input.name, fixedBatch: fixedBatchOf(input) };
}

export interface RunInput {
  name: string;
  /** A model exported with a fixed batch dimension is run on batches of exactly that size. */
  fixedBatch?: number;
}

export class LossEvaluator {
  evaluations = 0;
  private ms = 0;

  private constructor(
    private readonly session: OrtModel,
    private readonly names: ScaleInputNames[],
    private readonly chunks: ImageChunk[],
    private readonly o: EvaluatorOptions,
    private readonly refLogs: Float64Array[] | null,
    private readonly input: RunInput,
  ) {}

  /** Opens the session for models shaped like `q` (same layers, tensors and bit widths). */
  static async open(q: QuantModel, chunks: ImageChunk[], o: EvaluatorOptions): Promise<LossEvaluator> {
    const input = dataInputOf(q);
    let refLogs: Float64Array[] | null = null;
    if (!o.labels) {
      const float = await openModel(encodeModel(q.prepared), o.threads, 'basic');
      try {
        refLogs = [];
        for (const c of chunks) {
          const logits = await runLogits(float, input, c, o.imageDims);
          refLogs.push(logSoftmax(logits, logits.length / c.count));
        }
      } finally {
        await float.release();
      }
    }
    const m = toQdqModel(q, { scaleInputs: true });
    const session = await openModel(encodeModel(m), o.threads, 'basic');
    return new LossEvaluator(session, scaleInputNames(m), chunks, o, refLogs, input);
  }

  get images(): number {
    return this.chunks.reduce((s, c) => s + c.count, 0);
  }

  /** Mean loss per image of `q` on the cached images. */
  async loss(q: QuantModel): Promise<number> {
    const t0 = performance.now();
    const feeds = scaleInputFeeds(q, this.names);
    let sum = 0;
    for (let k = 0; k < this.chunks.length; k++) {
      const c = this.chunks[k];
      const logits = await runLogits(this.session, this.input, c, this.o.imageDims, feeds);
      const classes = logits.length / c.count;
      sum += this.refLogs ? klSum(this.refLogs[k], logits, classes) : crossEntropySum(logits, classes, c.labels);
    }
    this.evaluations++;
    this.ms += performance.now() - t0;
    return sum / this.images;
  }

  msPerEval(): number {
    return this.evaluations ? this.ms / this.evaluations : 0;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

type Feeds = Record<string, { dims: number[]; data: Float32Array | Int8Array }>;

/** The logits of a chunk's images, one row each; a fixed-batch model sees its batch size, the last run zero-padded. */
export async function runLogits(s: OrtModel, input: RunInput, c: ImageChunk, imageDims: number[], extra: Feeds = {}): Promise<Float32Array> {
  const per = c.data.length / c.count;
  const size = input.fixedBatch ?? c.count;
  const parts: Float32Array[] = [];
  for (let start = 0; start < c.count; start += size) {
    const n = Math.min(size, c.count - start);
    let data = c.data.subarray(start * per, (start + n) * per);
    if (n < size) {
      const padded = new Float32Array(size * per);
      padded.set(data);
      data = padded;
    }
    const out = await s.run({ ...extra, [input.name]: { dims: [size, ...imageDims], data } }, [s.outputNames[0]]);
    const logits = out.get(s.outputNames[0])?.data;
    if (!(logits instanceof Float32Array) || logits.length % size !== 0) throw new UserError(`the model's first output is not a float32 batch x classes tensor`);
    parts.push(logits.subarray(0, n * (logits.length / size)));
  }
  if (parts.length === 1) return parts[0];
  const all = new Float32Array(parts.reduce((t, p) => t + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}
