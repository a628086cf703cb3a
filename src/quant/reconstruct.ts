// Layer-by-layer driver for reconstruction methods (Algorithm 1 of the Bit-split paper): for each layer in
// order, run the network whose earlier layers are already quantized (or the float network, when asked) to
// get the layer's input (from the earlier layers' inputs on: layer-inputs.ts), sample im2col patches X at fixed
// positions, pair them with the float network's output y (before bias) at the same positions, and hand both to
// the weight method.
import type { Batch } from '../data/batches.js';
import { withOutputs } from '../onnx/expose.js';
import { GraphView } from '../onnx/graph.js';
import { openModel } from '../onnx/run.js';
import type { ModelProto } from '../onnx/proto.js';
import { importOnnxModel } from '../model/onnx-import.js';
import { linkToIr } from '../intmodel/ir-link.js';
import { ActStats, ActStatsCollector } from './act-stats.js';
import { LayerData, allocLayerData, fillOutputs, fillPatches, geometryOf, samplePositions, ConvGeometry, Position } from './layer-data.js';
import type { LayerSite } from './prepare.js';
import { LayerInputs } from './layer-inputs.js';
import { toQdqModel } from './qdq.js';
import type { ActQuant, QuantModel } from './types.js';
import { UserError } from '../errors.js';

export interface ReconstructInput {
  prepared: ModelProto;
  sites: LayerSite[];
  calibration: { batches: () => AsyncIterable<Batch>; count: number; inputDims: (b: Batch) => number[] };
  rec: { positions: number; floatInputs: boolean; seed: number };
  sampleCap: number;
  needStats: boolean;
  /** Per-channel values kept in the statistics (0: none). */
  channelSampleCap?: number;
  /** The layers quantized so far (the pipeline appends one per call of `layer`). */
  quantizedSoFar: () => QuantModel;
  /** Quantizes layer i from its statistics and data; returns its input quantizer (if any). */
  layer: (i: number, site: LayerSite, stats: ActStats | undefined, data: LayerData) => Promise<ActQuant | undefined>;
  progress?: (stage: string, done: number, total: number) => void;
}

async function cached(src: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of src) out.push(b);
  return out;
}

export async function reconstructLayers(x: ReconstructInput): Promise<void> {
  const data = await cached(x.calibration.batches());
  const images = data.reduce((s, b) => s + b.count, 0);
  if (images === 0) throw new UserError('calibration set is empty');
  const net = importOnnxModel(x.prepared, 'prepared', 'prepared model');
  const geoms: ConvGeometry[] = linkToIr(net, x.sites.map((s) => s.name), () => 'quantized layer').map((r) => geometryOf(r.layer));
  const positions: Position[][] = geoms.map((g, i) => samplePositions(g, images, x.rec.positions, x.rec.seed * 7919 + i));
  const layerData: LayerData[] = geoms.map((g, i) => allocLayerData(g, positions[i].length));

  // One pass of the float network gives every layer's target outputs.
  const outputs = x.sites.map((s) => s.outputTensor);
  {
    const m = await openModel(withOutputs(x.prepared, outputs), 2);
    const cursor = new Array<number>(x.sites.length).fill(0);
    let first = 0, done = 0;
    try {
      for (const b of data) {
        const out = await m.run({ [m.inputNames[0]]: { dims: x.calibration.inputDims(b), data: b.data } }, [...new Set(outputs)]);
        x.sites.forEach((s, i) => {
          cursor[i] += fillOutputs(geoms[i], out.get(s.outputTensor)!.data as Float32Array, s.bias, first, b.count, positions[i], cursor[i], layerData[i], cursor[i]);
        });
        first += b.count;
        x.progress?.('float outputs', ++done, data.length);
      }
    } finally {
      await m.release();
    }
  }

  // Each layer's input is computed from the tensors already at hand (the image, earlier layers' inputs) by the
  // nodes between them, in the network quantized so far: the same values as running it from the image.
  const fed = data.map((b) => ({ data: b.data, dims: x.calibration.inputDims(b) }));
  const store = new LayerInputs(x.sites.map((s) => s.inputTensor), x.prepared, new GraphView(x.prepared).inputs[0].name, fed);
  for (let i = 0; i < x.sites.length; i++) {
    const s = x.sites[i];
    const graph = x.rec.floatInputs || i === 0 ? x.prepared : toQdqModel(x.quantizedSoFar());
    const inputs = await store.compute(graph, i);
    const collector = x.needStats ? new ActStatsCollector(x.sampleCap, data.length, x.channelSampleCap ?? 0) : undefined;
    let first = 0, cursor = 0;
    for (const [k, b] of data.entries()) {
      collector?.add(inputs[k].data, inputs[k].dims);
      cursor += fillPatches(geoms[i], inputs[k].data, first, b.count, positions[i], cursor, layerData[i], cursor);
      first += b.count;
    }
    store.done(i);
    await x.layer(i, s, collector?.result(), layerData[i]);
    // The layer's data is no longer needed: free it before the next layer allocates its own.
    layerData[i] = allocLayerData(geoms[i], 0);
  }
}
