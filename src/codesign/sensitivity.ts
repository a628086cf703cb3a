// How much each layer hurts at each precision: the layer quantized alone (by the chosen recipe, everything else
// float) and the network's mean KL divergence from the float model's outputs on held-out images. One recipe run
// per precision gives every layer's quantizer at that precision; then each (layer, precision) is one onnxruntime
// session of the float graph with only that layer's Q/DQ. The table is the objective of the precision search.
import type { ModelProto } from '../onnx/proto.js';
import { encodeModel } from '../onnx/proto.js';
import { openModel } from '../onnx/run.js';
import type { Precision } from '../model/ir.js';
import type { Recipe } from '../quant/pipeline/spec.js';
import type { QuantRun } from '../quant/pipeline/state.js';
import { runRecipe } from '../quant/pipeline/run.js';
import { toQdqModel } from '../quant/qdq.js';
import type { QuantModel } from '../quant/types.js';
import { type ImageChunk, dataInputOf, runLogits } from '../quant/lapq/evaluator.js';
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
  const quantized: QuantModel[] = [];
  for (const [k, p] of i.candidates.entries()) {
    const { model } = await runRecipe(i.source, i.what, i.name, i.recipe, { ...i.run, aBits: p.a, wBits: p.w, firstLast: null });
    quantized.push(model);
    i.progress?.('quantize per precision', k + 1, i.candidates.length);
  }
  const first = quantized[0];
  const input = dataInputOf(first);
  const float = await openModel(encodeModel(first.prepared), 1, 'basic');
  const refLogs: Float64Array[] = [];
  try {
    for (const c of i.heldOut) {
      const logits = await runLogits(float, input, c, i.imageDims);
      refLogs.push(logSoftmax(logits, logits.length / c.count));
    }
  } finally {
    await float.release();
  }
  const images = i.heldOut.reduce((s, c) => s + c.count, 0);
  const layers = first.layers.map((l) => l.name);
  const damage = layers.map(() => new Array<number>(i.candidates.length).fill(0));
  const total = layers.length * i.candidates.length;
  let done = 0;
  for (let l = 0; l < layers.length; l++) {
    for (let k = 0; k < i.candidates.length; k++) {
      const s = await openModel(encodeModel(toQdqModel(onlyLayer(quantized[k], l))), 1, 'basic');
      try {
        let sum = 0;
        for (const [n, c] of i.heldOut.entries()) {
          const logits = await runLogits(s, input, c, i.imageDims);
          sum += klSum(refLogs[n], logits, logits.length / c.count);
        }
        damage[l][k] = sum / images;
      } finally {
        await s.release();
      }
      i.progress?.('sensitivity', ++done, total);
    }
  }
  return { layers, candidates: i.candidates, damage, images };
}
