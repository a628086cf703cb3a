// How much each layer hurts at each precision: the layer quantized alone (by the chosen recipe, everything else
// float) and the network's mean KL divergence from the float model's outputs on held-out images. One recipe run
// per precision gives every layer's quantizer at that precision (runs differing only in activation bits share the
// passes that do not read them); then each (layer, precision) is one onnxruntime session of the float graph with
// only that layer's Q/DQ, run from the float network's tensors at that layer on (the nodes before it would compute
// the same values for every precision). The table is the objective of the precision search.
import type { ModelProto } from '../onnx/proto.js';
import { GraphView } from '../onnx/graph.js';
import type { Precision } from '../model/ir.js';
import type { Recipe } from '../quant/pipeline/spec.js';
import type { QuantRun } from '../quant/pipeline/state.js';
import { runRecipes } from '../quant/pipeline/run.js';
import { toQdqModel } from '../quant/qdq.js';
import type { QuantModel } from '../quant/types.js';
import { type ImageChunk, dataInputOf } from '../quant/lapq/evaluator.js';
import { type BatchTensor, KEEP_BUDGET_BYTES, LayerInputs } from '../quant/layer-inputs.js';
import { klSum, logSoftmax } from '../quant/lapq/loss.js';

export interface SensitivityInput {
  source: ModelProto;
  what: string;
  name: string;
  recipe: Recipe;
  /** Precisions to measure (each layer at each one). */
  candidates: Precision[];
  /** The quantizer's run settings (calibration, positions, seed); its bit widths are set per candidate. */
  run: Omit<QuantRun, 'aBits' | 'wBits' | 'firstLast' | 'layerBits'>;
  /** Held-out images (not the evaluation set) and their per-image dims. */
  heldOut: ImageChunk[];
  imageDims: number[];
  progress?: (stage: string, done: number, total: number) => void;
}

export interface SensitivityTable {
  /** Compute layers, in the network's order (the IR's names). */
  layers: string[];
  candidates: Precision[];
  /** damage[l][c]: mean KL(float || network with layer l alone at candidate c) per held-out image, in nats. */
  damage: number[][];
  images: number;
}

/** The network with only layer `l` of `q` quantized. */
function onlyLayer(q: QuantModel, l: number): QuantModel {
  return { ...q, layers: [q.layers[l]] };
}

export async function measureSensitivity(i: SensitivityInput): Promise<SensitivityTable> {
  const runs = i.candidates.map((p) => ({ ...i.run, aBits: p.a, wBits: p.w, firstLast: null }));
  let ran = 0;
  const onRun = () => i.progress?.('quantize per precision', ++ran, runs.length);
  const quantized: QuantModel[] = (await runRecipes(i.source, i.what, i.name, i.recipe, runs, onRun)).map((x) => x.model);
  const first = quantized[0];
  const input = dataInputOf(first);
  const batches = feedBatches(i.heldOut, input.fixedBatch, i.imageDims);
  const output = new GraphView(first.prepared).outputs[0].name;
  const layers = first.layers.map((l) => l.name);
  // the float network's tensors, moved on layer by layer: each cell runs only the nodes from its layer on
  const float = new LayerInputs(first.layers.map((l) => l.inputTensor), first.prepared, input.name, batches.map((b) => b.feed), KEEP_BUDGET_BYTES, 1);
  const logSoftmaxes = (out: BatchTensor[]) => out.map((o, b) => {
    const classes = o.data.length / o.dims[0];
    return { logs: logSoftmax(o.data.subarray(0, batches[b].count * classes), classes), classes };
  });
  const ref = logSoftmaxes(await float.through(first.prepared, output));
  const images = batches.reduce((s, b) => s + b.count, 0);
  const damage = layers.map(() => new Array<number>(i.candidates.length).fill(0));
  const total = layers.length * i.candidates.length;
  let done = 0;
  for (let l = 0; l < layers.length; l++) {
    const here = new Map([[first.layers[l].inputTensor, await float.compute(first.prepared, l)]]);
    for (let k = 0; k < i.candidates.length; k++) {
      const out = await float.through(toQdqModel(onlyLayer(quantized[k], l)), output, here);
      let sum = 0;
      out.forEach((o, b) => {
        const classes = o.data.length / o.dims[0];
        sum += klSum(ref[b].logs, o.data.subarray(0, batches[b].count * classes), classes);
      });
      damage[l][k] = sum / images;
      i.progress?.('sensitivity', ++done, total);
    }
    float.done(l);
  }
  return { layers, candidates: i.candidates, damage, images };
}

/** The held-out images as the runs the model takes: whole chunks, or runs of its fixed batch with the last padded. */
function feedBatches(chunks: readonly ImageChunk[], fixedBatch: number | undefined, imageDims: number[]): Array<{ feed: BatchTensor; count: number }> {
  const out: Array<{ feed: BatchTensor; count: number }> = [];
  for (const c of chunks) {
    const per = c.data.length / c.count;
    const size = fixedBatch ?? c.count;
    for (let start = 0; start < c.count; start += size) {
      const n = Math.min(size, c.count - start);
      const data = new Float32Array(size * per);
      data.set(c.data.subarray(start * per, (start + n) * per));
      out.push({ feed: { data, dims: [size, ...imageDims] }, count: n });
    }
  }
  return out;
}
