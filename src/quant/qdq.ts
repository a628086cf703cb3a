// QuantModel -> QDQ ONNX: the prepared float graph with integer weight initializers behind DequantizeLinear and
// every quantized layer's input fake-quantized ([Clip ->] QuantizeLinear -> DequantizeLinear), so onnxruntime
// computes exactly what the integer model computes, up to float32 rounding of the products and sums.
import { tensorFromProto } from '../onnx/tensor.js';
import { UserError } from '../errors.js';
import { attr } from '../onnx/attr.js';
import { makeInitializer, makeNode, makeValueInfo } from '../onnx/build.js';
import { type IModelProto, type INodeProto, type ITensorProto, type ModelProto, decodeModel, encodeModel, onnx } from '../onnx/proto.js';
import { DataType, floatTensor, makeTensor, numel } from '../onnx/tensor.js';
import { raiseOpset } from './opset.js';
import { actRange } from '../intmodel/activation.js';
import { clampCode, gridMax, gridMin, roundHalfEven } from '../intmodel/grid.js';
import type { ActQuant, QuantLayer, QuantModel } from './types.js';

/**
 * Where a QDQ model quantizes activations: `layers` at the inputs of compute layers only (residual Adds, shortcuts
 * and pools in float), `integer` wherever the .hwq integer model holds codes (qdq-integer.ts), `fixed-point` there
 * too with each requantization computed as the accelerator's fixed-point arithmetic rounds it.
 */
export const QDQ_FORMS = ['layers', 'integer', 'fixed-point'] as const;
export type QdqForm = (typeof QDQ_FORMS)[number];

/** The form recorded in a QDQ model's metadata; null for a model hwq did not write. Models written before the
 *  integer form existed record none and have the layers form. */
export function qdqFormOf(model: IModelProto): QdqForm | null {
  const meta = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const form = meta.get('hwq.qdqForm');
  if (form !== undefined) return (QDQ_FORMS as readonly string[]).includes(form) ? (form as QdqForm) : null;
  return meta.has('hwq.layers') ? 'layers' : null;
}

export interface QdqOptions {
  /** Store weights as INT4 initializers at opset 21; every layer must have wBits <= 4. */
  int4?: boolean;
  /**
   * Emit every quantized layer's integer weights, weight scales and bias (Conv, Gemm), and every activation's
   * Q/DQ scale and Clip bounds, as graph inputs (fed per run) instead of initializers, so one onnxruntime session evaluates
   * any clipping choice (LAPQ's loss search). Zero points stay initializers. Names are listed per layer in
   * the `hwq.scaleInputs` metadata entry (ScaleInputNames); scaleInputFeeds builds the feeds of a QuantModel.
   */
  scaleInputs?: boolean;
}

/** The graph inputs a scaleInputs model reads for one quantized layer (two layers may share an act chain). */
export interface ScaleInputNames {
  layer: string;
  /** int8 tensor in the initializer's layout, and the per-channel (or scalar) float scales. */
  weight: string;
  weightScale: string;
  /** The layer's float bias, fed so that a bias correction that follows the weights can change it. */
  bias?: string;
  /** Scalar float inputs; clipMin/clipMax are absent at 8 bits, where QuantizeLinear saturates by itself. */
  act?: { scale: string; clipMin?: string; clipMax?: string };
}

/** What the model metadata `hwq.layers` lists per quantized layer. */
export interface QdqLayerRecord {
  name: string;
  nodeName: string;
  wBits: number;
  /** null for weight-only layers (float activations). */
  aBits: number | null;
  signed: boolean | null;
  scale: number | null;
  zeroPoint: number | null;
}

/** The integer code QuantizeLinear gives x after the Clip, in float32 arithmetic as onnxruntime computes it. */
export function quantizeAct(x: number, a: ActQuant): number {
  const { qmin, qmax, lo, hi } = actRange(a);
  const c = Math.min(Math.max(Math.fround(x), Math.fround(lo)), Math.fround(hi));
  const q = roundHalfEven(Math.fround(c / Math.fround(a.scale))) + a.zeroPoint;
  return clampCode(q, qmin, qmax);
}

/** The float value the Clip -> Q -> DQ chain produces for x. */
export function fakeQuantize(x: number, a: ActQuant): number {
  return Math.fround((quantizeAct(x, a) - a.zeroPoint) * Math.fround(a.scale));
}

export function layerRecord(l: QuantLayer): QdqLayerRecord {
  return {
    name: l.name, nodeName: l.nodeName, wBits: l.wBits, aBits: l.act?.bits ?? null, signed: l.act?.signed ?? null,
    scale: l.act?.scale ?? null, zeroPoint: l.act?.zeroPoint ?? null,
  };
}

/** Checks the invariants of types.ts that the writers rely on; a violation is a quantizer bug. */
export function checkLayer(l: QuantLayer): void {
  const where = `quantized layer '${l.name}'`;
  const n = numel(l.weightShape);
  if (l.wInt.length !== n) throw new Error(`${where}: ${l.wInt.length} integer weights for shape [${l.weightShape}]`);
  if (!(l.wBits >= 2 && l.wBits <= 8)) throw new Error(`${where}: wBits ${l.wBits} outside 2..8`);
  const wMax = gridMax(l.wBits, true);
  const wMin = gridMin(l.wBits, true);
  for (let i = 0; i < n; i++) {
    if (l.wInt[i] < wMin || l.wInt[i] > wMax) throw new Error(`${where}: weight ${l.wInt[i]} at ${i} outside the ${l.wBits}-bit range`);
  }
  const channels = l.weightShape[l.channelAxis];
  if (channels === undefined) throw new Error(`${where}: channel axis ${l.channelAxis} outside weight shape [${l.weightShape}]`);
  if (l.wScales.length !== channels) throw new Error(`${where}: ${l.wScales.length} weight scales for ${channels} channels`);
  if (l.bias && l.bias.length !== channels) throw new Error(`${where}: ${l.bias.length} bias values for ${channels} channels`);
  if (l.act) {
    const a = l.act;
    if (!(a.bits >= 2 && a.bits <= 8)) throw new Error(`${where}: activation bits ${a.bits} outside 2..8`);
    if (!(a.scale > 0) || !Number.isFinite(a.scale)) throw new Error(`${where}: activation scale ${a.scale} must be > 0`);
    const { qmin, qmax } = actRange(a);
    if (!Number.isInteger(a.zeroPoint) || a.zeroPoint < qmin || a.zeroPoint > qmax) throw new Error(`${where}: activation zero point ${a.zeroPoint} outside ${qmin}..${qmax}`);
  }
}

/** A node with its lists normalized to plain arrays, so it can be rewired in place. */
type Node = INodeProto & { input: string[]; output: string[]; opType: string; name: string };

function actKey(t: string, a: ActQuant): string {
  return JSON.stringify([t, a.bits, a.signed, a.scale, a.zeroPoint, a.channelScales ? Array.from(a.channelScales) : null]);
}

/** Ops between a layer's stored input tensor and its node that only move or pad values (0 stays 0). */
const WALK_OPS = new Set(['Pad', 'Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Dropout']);

/**
 * The QDQ model for `q`: a copy of q.prepared (which is left untouched), raised to opset 13 (21 with int4),
 * with bit widths in metadata_props (`hwq.layers`) and the doc string.
 */
export function toQdqModel(q: QuantModel, opts: QdqOptions = {}): ModelProto {
  for (const l of q.layers) checkLayer(l);
  if (opts.int4) {
    const wide = q.layers.filter((l) => l.wBits > 4);
    if (wide.length) throw new UserError(`int4 weight storage needs every layer at <= 4 weight bits; ${wide.map((l) => `${l.name} has ${l.wBits}`).slice(0, 5).join(', ')}`);
  }
  const model = decodeModel(encodeModel(q.prepared), `prepared model of ${q.name}`);
  raiseOpset(model, opts.int4 ? 21 : 13);
  const g = model.graph;
  if (!g) throw new UserError(`prepared model of ${q.name} has no graph`);
  const nodes: Node[] = (g.node ?? []).map((n) => Object.assign(n, { input: [...(n.input ?? [])], output: [...(n.output ?? [])], opType: n.opType ?? '', name: n.name ?? '' }));
  const inits: ITensorProto[] = [...(g.initializer ?? [])];
  const used = new Set<string>();
  for (const t of inits) used.add(t.name ?? '');
  for (const n of nodes) for (const x of [...n.input, ...n.output]) used.add(x);
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) used.add(v.name ?? '');
  const unique = (base: string): string => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.output) producer.set(o, n);

  const weightNodes: INodeProto[] = [];
  /** Activation chains, each to be placed before the earliest node that reads its output. */
  const actChains: { nodes: INodeProto[]; readers: Set<Node> }[] = [];
  const actOut = new Map<string, { out: string; readers: Set<Node>; inputs: NonNullable<ScaleInputNames['act']> }>();
  /** Fake-quantized outputs already made for a tensor: a reader rewired for one layer is found again by another. */
  const outsByTensor = new Map<string, Set<string>>();
  const outsOf = (t: string): Set<string> => {
    let s = outsByTensor.get(t);
    if (!s) outsByTensor.set(t, (s = new Set()));
    return s;
  };
  const replacedWeights = new Set<string>();
  const wType = opts.int4 ? DataType.INT4 : DataType.INT8;
  if (opts.int4 && opts.scaleInputs) throw new UserError('scale inputs are fed as int8 tensors: they cannot be combined with int4 weight storage');
  const fedInputs: ReturnType<typeof makeValueInfo>[] = [];
  const fedNames: ScaleInputNames[] = [];
  /** A constant, or (scaleInputs) a graph input of the same name, type and shape. */
  const param = (name: string, t: ReturnType<typeof makeTensor>): void => {
    if (opts.scaleInputs) fedInputs.push(makeValueInfo({ name, dims: [...t.dims], elemType: t.dataType }));
    else inits.push(makeInitializer(name, t));
  };

  for (const l of q.layers) {
    const node = nodes.find((n) => n.output[0] === l.outputTensor) ?? nodes.find((n) => n.name === l.nodeName);
    if (!node) throw new UserError(`quantized layer '${l.name}': no node '${l.nodeName}' producing '${l.outputTensor}' in the prepared graph`);
    const wIdx = node.input.indexOf(l.weightName);
    if (wIdx < 0) throw new UserError(`quantized layer '${l.name}': node '${l.nodeName}' does not read weight '${l.weightName}'`);

    const base = l.weightName;
    const perChannel = l.wScales.length > 1;
    const sDims = perChannel ? [l.wScales.length] : [];
    const wq = unique(`${base}_quantized`);
    const ws = unique(`${base}_scale`);
    const wz = unique(`${base}_zero_point`);
    const wdq = unique(`${base}_dequantized`);
    param(wq, makeTensor(wType, [...l.weightShape], l.wInt));
    param(ws, floatTensor(sDims, l.wScales));
    const names: ScaleInputNames = { layer: l.name, weight: wq, weightScale: ws };
    fedNames.push(names);
    inits.push(makeInitializer(wz, makeTensor(wType, sDims)));
    weightNodes.push(makeNode({
      op: 'DequantizeLinear', name: unique(`${base}_DequantizeLinear`), inputs: [wq, ws, wz], outputs: [wdq],
      attrs: perChannel ? { axis: attr.int(l.channelAxis) } : {},
    }));
    node.input[wIdx] = wdq;
    replacedWeights.add(l.weightName);
    // A bias the quantizer changed (bias correction) or added replaces the graph's; Conv and Gemm take it
    // as their third input. MatMul has none, so its layers never carry a changed bias.
    if (l.bias && (node.opType === 'Conv' || node.opType === 'Gemm')) {
      const old = node.input[2] ? inits.find((t) => t.name === node.input[2]) : undefined;
      const same = !opts.scaleInputs && old && tensorFromProto(old).data.every((v, i) => v === l.bias![i]);
      if (!same) {
        const bName = unique(`${base}_bias`);
        param(bName, floatTensor([l.bias.length], l.bias));
        if (opts.scaleInputs) names.bias = bName;
        if (node.input[2]) replacedWeights.add(node.input[2]);
        node.input[2] = bName;
      }
    }

    if (!l.act) continue;
    const reader = readerOf(node, l, producer, outsOf(l.inputTensor));
    // With fed scales the chain's parameters are not known here: layers reading one tensor share one chain.
    const key = opts.scaleInputs ? JSON.stringify([l.inputTensor, l.act.bits, l.act.signed, l.act.zeroPoint]) : actKey(l.inputTensor, l.act);
    let chain = actOut.get(key);
    if (!chain) {
      const a = l.act;
      const { lo, hi } = actRange(a);
      const stem = `${l.inputTensor}_a${a.bits}${a.signed ? 's' : 'u'}`;
      const sc = unique(`${stem}_scale`);
      const zp = unique(`${stem}_zero_point`);
      const quant = unique(`${stem}_quantized`);
      const out = unique(`${stem}_dequantized`);
      param(sc, floatTensor([], [a.scale]));
      inits.push(makeInitializer(zp, makeTensor(a.signed ? DataType.INT8 : DataType.UINT8, [], [a.zeroPoint])));
      const chainNodes: INodeProto[] = [];
      const chainInputs: NonNullable<ScaleInputNames['act']> = { scale: sc };
      let qIn = l.inputTensor;
      if (a.channelScales) {
        // ECAQ: divide each channel by its beta first (a constant Mul broadcast over N x C x H x W or N x C).
        const inv = unique(`${stem}_inverse_channel_scales`);
        const rank4 = l.kind === 'conv';
        inits.push(makeInitializer(inv, floatTensor(rank4 ? [1, a.channelScales.length, 1, 1] : [1, a.channelScales.length], a.channelScales.map((b) => 1 / b))));
        const scaled = unique(`${stem}_channel_scaled`);
        chainNodes.push(makeNode({ op: 'Mul', name: unique(`${stem}_ChannelScale`), inputs: [qIn, inv], outputs: [scaled] }));
        qIn = scaled;
      }
      // QuantizeLinear saturates at the 8-bit container's range, which is the whole range of 8-bit values, so
      // only narrower widths need the Clip. (A redundant Clip also trips an onnxruntime fusion: Conv -> Clip ->
      // Clip -> Q -> DQ -> Conv fails to load at 'extended' and 'all' with "two nodes with same node name".)
      if (a.bits < 8) {
        const cMin = unique(`${stem}_clip_min`);
        const cMax = unique(`${stem}_clip_max`);
        param(cMin, floatTensor([], [lo]));
        param(cMax, floatTensor([], [hi]));
        chainInputs.clipMin = cMin;
        chainInputs.clipMax = cMax;
        const clipIn = qIn;
        qIn = unique(`${stem}_clipped`);
        chainNodes.push(makeNode({ op: 'Clip', name: unique(`${stem}_Clip`), inputs: [clipIn, cMin, cMax], outputs: [qIn] }));
      }
      chainNodes.push(
        makeNode({ op: 'QuantizeLinear', name: unique(`${stem}_QuantizeLinear`), inputs: [qIn, sc, zp], outputs: [quant] }),
        makeNode({ op: 'DequantizeLinear', name: unique(`${stem}_DequantizeLinear`), inputs: [quant, sc, zp], outputs: [out] }),
      );
      const readers = new Set<Node>();
      actChains.push({ readers, nodes: chainNodes });
      chain = { out, readers, inputs: chainInputs };
      actOut.set(key, chain);
      outsOf(l.inputTensor).add(out);
    }
    const k = reader.input.indexOf(l.inputTensor);
    if (k >= 0) reader.input[k] = chain.out;
    else if (!chain.readers.has(reader)) {
      throw new UserError(`quantized layer '${l.name}': input '${l.inputTensor}' is fake-quantized twice with different parameters on one path`);
    }
    chain.readers.add(reader);
    names.act = chain.inputs;
  }

  // Float weights and biases no node reads any more are dropped (old IR versions also list them as graph inputs).
  const stillRead = new Set(nodes.flatMap((n) => n.input));
  const dropped = new Set([...replacedWeights].filter((w) => !stillRead.has(w)));
  g.initializer = inits.filter((t) => !dropped.has(t.name ?? ''));
  g.input = [...(g.input ?? []).filter((v) => !dropped.has(v.name ?? '')), ...fedInputs];

  const order: INodeProto[] = [...weightNodes];
  for (const n of nodes) {
    for (const c of actChains) {
      if (c.readers.has(n) && c.nodes.length) {
        order.push(...c.nodes);
        c.nodes = [];
      }
    }
    order.push(n);
  }
  g.node = order;

  const records = q.layers.map(layerRecord);
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => !(p.key ?? '').startsWith('hwq.')),
    ...Object.entries({
      'hwq.layers': JSON.stringify(records),
      'hwq.source': q.source,
      'hwq.weightMethod': q.weightMethod,
      'hwq.actMethod': q.actMethod,
      'hwq.weightStorage': opts.int4 ? 'int4' : 'int8',
      'hwq.qdqForm': 'layers',
      ...(opts.scaleInputs ? { 'hwq.scaleInputs': JSON.stringify(fedNames) } : {}),
    }).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
  ];
  const bits = records.map((r) => `${r.name}: w${r.wBits}${r.aBits === null ? ' a-float' : ` a${r.aBits}${r.signed ? 's' : 'u'}`}`);
  model.docString = `hwq QDQ model of ${q.source} (weights: ${q.weightMethod}, activations: ${q.actMethod}); ${bits.join('; ')}`;
  model.producerName = 'hwq';
  return model;
}

/** The per-layer input names of a model written with scaleInputs. */
export function scaleInputNames(model: ModelProto): ScaleInputNames[] {
  const entry = (model.metadataProps ?? []).find((p) => p.key === 'hwq.scaleInputs');
  if (!entry?.value) throw new Error('internal: the QDQ model was not written with scaleInputs');
  return JSON.parse(entry.value) as ScaleInputNames[];
}

/**
 * Feeds for a scaleInputs model from `q` (a QuantModel with the same layers, inputs and bit widths as the one
 * the model was written from): exactly the values toQdqModel would have stored as initializers.
 */
export function scaleInputFeeds(q: QuantModel, names: ScaleInputNames[]): Record<string, { dims: number[]; data: Float32Array | Int8Array }> {
  const feeds: Record<string, { dims: number[]; data: Float32Array | Int8Array }> = {};
  const byName = new Map(q.layers.map((l) => [l.name, l]));
  for (const n of names) {
    const l = byName.get(n.layer);
    if (!l) throw new Error(`internal: scale inputs name layer '${n.layer}', which the quantized model lacks`);
    feeds[n.weight] = { dims: [...l.weightShape], data: l.wInt };
    feeds[n.weightScale] = { dims: l.wScales.length > 1 ? [l.wScales.length] : [], data: l.wScales };
    if (n.bias) {
      if (!l.bias) throw new Error(`internal: layer '${n.layer}' has a fed bias but no bias`);
      feeds[n.bias] = { dims: [l.bias.length], data: l.bias };
    }
    if (!n.act) continue;
    if (!l.act) throw new Error(`internal: layer '${n.layer}' has an activation chain but no activation quantization`);
    const { lo, hi } = actRange(l.act);
    const shared = feeds[n.act.scale];
    if (shared && shared.data[0] !== Math.fround(l.act.scale)) {
      throw new Error(`internal: layers sharing the activation chain of '${l.inputTensor}' have different scales`);
    }
    feeds[n.act.scale] = { dims: [], data: Float32Array.of(l.act.scale) };
    if (n.act.clipMin) feeds[n.act.clipMin] = { dims: [], data: Float32Array.of(lo) };
    if (n.act.clipMax) feeds[n.act.clipMax] = { dims: [], data: Float32Array.of(hi) };
  }
  return feeds;
}

/** Encoded QDQ model bytes. */
export function toQdqBytes(q: QuantModel, opts: QdqOptions = {}): Uint8Array {
  return encodeModel(toQdqModel(q, opts));
}

/**
 * The node whose input is rewired to the fake-quantized tensor: the layer node when it reads l.inputTensor
 * directly, else the node reading l.inputTensor on a chain of value-moving ops (a folded Pad) above it.
 */
function readerOf(node: Node, l: QuantLayer, producer: Map<string, Node>, rewired: Set<string>): Node {
  let cur = node;
  for (let steps = 0; steps < 8; steps++) {
    if (cur.input.some((i) => i === l.inputTensor || rewired.has(i))) return cur;
    const p = producer.get(cur.input[0]);
    if (!p || !WALK_OPS.has(p.opType)) break;
    cur = p;
  }
  throw new UserError(`quantized layer '${l.name}': node '${l.nodeName}' does not read input tensor '${l.inputTensor}'`);
}
