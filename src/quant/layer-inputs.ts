// The calibration inputs of each layer in turn, for the layer-by-layer quantizer: layer i's input comes from the
// tensors already computed (the images, the inputs of earlier layers) through the nodes between them, in the
// graph the caller gives for that layer (the network quantized so far). Running those nodes on those values
// gives what running the whole network from the images would, at a cost linear in the depth, not quadratic.
// Tensors stay in memory while a later layer reads them and the budget allows; a segment whose tensors were
// not kept walks further back (to the images at worst), which is slower but gives the same values.
import { totalmem } from 'node:os';
import { GraphView } from '../onnx/graph.js';
import { type IModelProto, encodeModel } from '../onnx/proto.js';
import { openModel } from '../onnx/run.js';
import { extractSegment, segmentInputs } from '../onnx/segment.js';

/** One tensor for one calibration batch. */
export interface BatchTensor {
  data: Float32Array;
  dims: number[];
}

/** Memory for kept tensors: an eighth of the machine's, at most 2 GiB (MobileNetV2's largest layer input is 1.2 GiB
 *  on 256 images), so that the quantizer stays within its memory goal (reports/bench/quant.md). */
export const KEEP_BUDGET_BYTES = Math.min(2 * 2 ** 30, Math.floor(totalmem() / 8));

/** For each tensor, the last layer whose input is computed from it (when every input is kept). */
export function lastReads(structure: IModelProto, input: string, targets: readonly string[]): Map<string, number> {
  const view = new GraphView(structure);
  const known = new Set([input]);
  const last = new Map<string, number>();
  targets.forEach((t, k) => {
    const reads = known.has(t) ? [t] : segmentInputs(view, known, [t]).inputs;
    for (const r of reads) last.set(r, k);
    known.add(t);
  });
  return last;
}

export class LayerInputs {
  private readonly kept = new Map<string, BatchTensor[]>();
  private readonly last: Map<string, number>;
  private bytes = 0;

  /**
   * @param targets each layer's input tensor, in the order the layers are asked for
   * @param structure a graph with the tensor names of every graph the layers are computed in (the float network)
   * @param input the graph input the images feed
   * @param threads onnxruntime's threads per run
   */
  constructor(private readonly targets: readonly string[], structure: IModelProto, private readonly input: string, images: BatchTensor[],
    private readonly budget = KEEP_BUDGET_BYTES, private readonly threads = 2) {
    this.last = lastReads(structure, input, targets);
    this.kept.set(input, images);
  }

  /** Layer i's input for every batch, computed in `graph`. */
  async compute(graph: IModelProto, i: number): Promise<BatchTensor[]> {
    const t = this.targets[i];
    const have = this.kept.get(t);
    if (have) return have;
    const out = await this.through(graph, t);
    const size = out.reduce((s, x) => s + x.data.byteLength, 0);
    if ((this.last.get(t) ?? -1) > i && this.bytes + size <= this.budget) {
      this.kept.set(t, out);
      this.bytes += size;
    }
    return out;
  }

  /**
   * `output` for every batch, computed in `graph` from the kept tensors and `also` (more tensors at hand). Every
   * tensor at hand must hold the values `graph` would compute for it: e.g. a graph that differs from the one the
   * tensors came from only in nodes after them.
   */
  async through(graph: IModelProto, output: string, also: ReadonlyMap<string, BatchTensor[]> = new Map()): Promise<BatchTensor[]> {
    const at = (name: string) => also.get(name) ?? this.kept.get(name)!;
    const seg = extractSegment(graph, new Set([...this.kept.keys(), ...also.keys()]), [output]);
    const m = await openModel(encodeModel(seg.model), this.threads, 'basic');
    const out: BatchTensor[] = [];
    try {
      const batches = this.kept.get(this.input)!.length;
      for (let b = 0; b < batches; b++) {
        const feeds = Object.fromEntries(seg.inputs.map((name) => [name, at(name)[b]]));
        const got = (await m.run(feeds, [output])).get(output)!;
        out.push({ data: got.data as Float32Array, dims: got.dims });
      }
    } finally {
      await m.release();
    }
    return out;
  }

  /** Layer i is done: drops what no later layer reads (never the images). */
  done(i: number): void {
    for (const [t, v] of this.kept) {
      if (t === this.input || (this.last.get(t) ?? -1) > i) continue;
      this.kept.delete(t);
      this.bytes -= v.reduce((s, x) => s + x.data.byteLength, 0);
    }
  }

  /** Bytes held by kept tensors (the images excluded). */
  get keptBytes(): number {
    return this.bytes;
  }
}
