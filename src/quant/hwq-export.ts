// QuantModel -> .hwq: the quantizer's exporter of the integer model contract (src/intmodel/format.ts). It links
// each quantized layer to its compute layer of the network IR once, stores the layer's integer arrays and, where
// the layer's output feeds exactly one quantized layer, the requantization to that layer's input codes.
import { actRange } from '../intmodel/activation.js';
import { type BlobRef, BlobWriter, type HwqLayerHeader, type HwqRequantHeader, encodeHwq, writeHwqFile } from '../intmodel/format.js';
import { canonicalWeights, integerBias } from '../intmodel/integer-layer.js';
import { linkToIr } from '../intmodel/ir-link.js';
import { channelMultipliers } from '../intmodel/requant.js';
import type { ComputeLayer, Network } from '../model/ir.js';
import { importOnnxModel } from '../model/onnx-import.js';
import { GraphView, type OnnxNode, attrFloat } from '../onnx/graph.js';
import { checkLayer } from './qdq.js';
import type { QuantLayer, QuantModel } from './types.js';

/** Ops that do not change values: a layer's output passes them on its way to the next layer. */
const MOVE_OPS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

interface NextQuant {
  next: QuantLayer;
  via: string[];
  lo: number;
  hi: number;
}

function clipBounds(g: GraphView, n: OnnxNode): [number, number] | undefined {
  if (n.attrs.has('min') || n.attrs.has('max') || g.opset < 11) return [attrFloat(n, 'min', -Infinity), attrFloat(n, 'max', Infinity)];
  const bound = (k: number, dflt: number): number | undefined => {
    if (!n.inputs[k]) return dflt;
    const t = g.initializer(n.inputs[k]);
    return t && t.data.length === 1 ? t.data[0] : undefined;
  };
  const lo = bound(1, -Infinity);
  const hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/**
 * The quantized layer `l`'s output feeds through Relu/Clip and reshaping ops only, with no fan-out, or
 * undefined when there is none (graph output, a residual Add, a pool, several readers).
 */
function nextQuantized(g: GraphView, l: QuantLayer, byInput: Map<string, QuantLayer[]>): NextQuant | undefined {
  let t = l.outputTensor;
  let lo = -Infinity;
  let hi = Infinity;
  const via: string[] = [];
  for (let steps = 0; steps < 16; steps++) {
    if (g.isGraphOutput(t)) return undefined;
    const readers = g.consumers(t);
    if (readers.length !== 1) return undefined;
    const qs = byInput.get(t) ?? [];
    if (qs.length === 1 && qs[0].act) return { next: qs[0], via, lo, hi };
    if (qs.length) return undefined;
    const c = readers[0];
    if (c.opType === 'Relu') lo = Math.max(lo, 0);
    else if (c.opType === 'Clip') {
      const b = clipBounds(g, c);
      if (!b) return undefined;
      lo = Math.max(lo, b[0]);
      hi = Math.min(hi, b[1]);
    } else if (!MOVE_OPS.has(c.opType)) return undefined;
    via.push(c.opType);
    t = c.outputs[0];
  }
  return undefined;
}

/** The network IR of the prepared model, each quantized layer's compute layer carrying its precision, and those layers in q.layers order. */
function linkedNetwork(q: QuantModel): { network: Network; irLayers: ComputeLayer[] } {
  const net = importOnnxModel(q.prepared, q.name, q.source);
  const refs = linkToIr(net, q.layers.map((l) => l.name), () => 'quantized layer');
  const layers = [...net.layers];
  const irLayers = refs.map((r, i) => {
    const l = q.layers[i];
    const withP: ComputeLayer = { ...r.layer, precision: { a: l.act?.bits ?? 8, w: l.wBits } };
    layers[r.index] = withP;
    return withP;
  });
  return { network: { ...net, layers }, irLayers };
}

/** The .hwq bytes of a quantized model. */
export function writeHwq(q: QuantModel): Uint8Array {
  for (const l of q.layers) checkLayer(l);
  const { network, irLayers } = linkedNetwork(q);
  const g = new GraphView(q.prepared);
  const byInput = new Map<string, QuantLayer[]>();
  for (const l of q.layers) byInput.set(l.inputTensor, [...(byInput.get(l.inputTensor) ?? []), l]);

  const blob = new BlobWriter();
  const layers: HwqLayerHeader[] = q.layers.map((l, i) => {
    const canon = canonicalWeights(l.wInt, l.weightShape, l.channelAxis);
    const weights = blob.add('int8', canon.data);
    const weightScales = blob.add('float32', l.wScales);
    let bias: BlobRef | null = null;
    if (l.act && (l.bias || l.act.zeroPoint !== 0)) bias = blob.add('int32', integerBias(l.bias, l.act, l.wScales, canon.data));
    else if (!l.act && l.bias) bias = blob.add('float32', l.bias);
    let requant: HwqRequantHeader | null = null;
    const nq = l.act ? nextQuantized(g, l, byInput) : undefined;
    if (l.act && nq?.next.act) {
      const out = nq.next.act;
      const { qmin, qmax } = actRange(out);
      // With per-channel input scales (ECAQ, smoothing) the next layer's code of channel c is x / (beta[c] * scale).
      const outScales = out.channelScales && out.channelScales.length === l.wScales.length ? out.channelScales.map((b) => b * out.scale) : undefined;
      const m = channelMultipliers(l.act.scale, l.wScales, outScales ?? out.scale);
      // The bounds of a ReLU or Clip on the way: per channel they would be lo / scale[c] and hi / scale[c]; the header
      // holds one pair, the loosest (a lower bound of 0 is the same code in every channel).
      const codes = (v: number) => Array.from(outScales ?? [out.scale], (sc) => Math.round(v / sc));
      const min = Number.isFinite(nq.lo) ? Math.max(qmin, out.zeroPoint + Math.min(...codes(nq.lo))) : qmin;
      const max = Number.isFinite(nq.hi) ? Math.min(qmax, out.zeroPoint + Math.max(...codes(nq.hi))) : qmax;
      requant = {
        next: nq.next.name, via: nq.via, outScale: out.scale, zeroPoint: out.zeroPoint, min, max,
        m0: blob.add('int32', m.m0), shift: blob.add('int32', m.shift),
      };
    }
    return {
      name: l.name, kind: l.kind, layer: irLayers[i], wBits: l.wBits, aBits: l.act?.bits ?? null, act: l.act ? { ...l.act } : null,
      weightShape: canon.dims, onnxWeightShape: [...l.weightShape], channelAxis: l.channelAxis, weights, weightScales, bias, requant,
    };
  });
  return encodeHwq({ name: q.name, source: q.source, weightMethod: q.weightMethod, actMethod: q.actMethod, network, layers }, blob);
}

/** Writes the .hwq file of a quantized model via a temporary file and a rename. */
export function saveHwq(path: string, q: QuantModel): void {
  writeHwqFile(path, writeHwq(q));
}
