// Models onnxruntime has already quantized, in its three forms:
// - QDQ: QuantizeLinear/DequantizeLinear around float Conv, Gemm and MatMul;
// - QOperator: integer operators (QLinearConv, QLinearMatMul, com.microsoft QGemm, QLinearAdd, ...) between
//   a QuantizeLinear of the input and a DequantizeLinear of the output;
// - dynamic: DynamicQuantizeLinear of each layer input + ConvInteger/MatMulInteger, then Cast and a Mul by
//   the product of the input and weight scales (activations are quantized while the model runs).
// asQdq rewrites the operator forms as the QDQ model that computes the same: each integer operator becomes
// DequantizeLinear of its operands -> the float operator -> QuantizeLinear of its output. The quantized
// types stay in the graph, so the importer reads each layer's bit widths as it does from any QDQ file.
// asFloat then drops the quantization: weights dequantized into float initializers, activation
// quantize/dequantize pairs removed, which leaves the float model the quantized one approximates.
import { UserError } from '../errors.js';
import { type AttrValue, attr } from './attr.js';
import { makeNode } from './build.js';
import { foldWeightDequantization } from './fold-dequant.js';
import { GraphView, type OnnxNode, attrInt, nodeLabel } from './graph.js';
import { pruneUnused } from './prune.js';
import { type INodeProto, type IModelProto, type ModelProto, decodeModel, encodeModel } from './proto.js';
import { DataType, type Tensor, floatTensor, numel, tensorToProto } from './tensor.js';

export type QuantizedFormat = 'QDQ' | 'QOperator' | 'dynamic';

const MS = 'com.microsoft';
const DYNAMIC_OPS = new Set(['DynamicQuantizeLinear', 'ConvInteger', 'MatMulInteger']);
const QOPERATOR_OPS = new Set(['QLinearConv', 'QLinearMatMul']);

/**
 * com.microsoft's quantized element-wise and pooling ops: the float op each computes and where its operand
 * triples (x, scale, zero point) and its output scale and zero point sit among its inputs.
 */
const MS_QLINEAR: Record<string, { op: string; operands: number[]; out: number | undefined }> = {
  QLinearAdd: { op: 'Add', operands: [0, 3], out: 6 },
  QLinearMul: { op: 'Mul', operands: [0, 3], out: 6 },
  QLinearGlobalAveragePool: { op: 'GlobalAveragePool', operands: [0], out: 3 },
  QLinearAveragePool: { op: 'AveragePool', operands: [0], out: 3 },
  QLinearSigmoid: { op: 'Sigmoid', operands: [0], out: 3 },
  QLinearLeakyRelu: { op: 'LeakyRelu', operands: [0], out: 3 },
  QLinearSoftmax: { op: 'Softmax', operands: [0], out: 3 },
};

function isDefaultDomain(n: { domain?: string | null }): boolean {
  return !n.domain || n.domain === 'ai.onnx';
}

function isQOperator(n: { opType?: string | null; domain?: string | null }): boolean {
  const op = n.opType ?? '';
  return (isDefaultDomain(n) && QOPERATOR_OPS.has(op)) || (n.domain === MS && (op === 'QGemm' || op === 'QLinearConcat' || op in MS_QLINEAR));
}

/** Which of onnxruntime's quantized forms a model is in, or undefined for a float model. */
export function quantizedFormat(model: IModelProto): QuantizedFormat | undefined {
  const nodes = model.graph?.node ?? [];
  if (nodes.some(isQOperator)) return 'QOperator';
  if (nodes.some((n) => isDefaultDomain(n) && DYNAMIC_OPS.has(n.opType ?? ''))) return 'dynamic';
  if (nodes.some((n) => isDefaultDomain(n) && n.opType === 'DequantizeLinear')) return 'QDQ';
  return undefined;
}

/** How a sentence names each form. */
export const FORMAT_NAMES: Record<QuantizedFormat, string> = {
  QDQ: 'QDQ (QuantizeLinear/DequantizeLinear around float operators)',
  QOperator: 'QOperator (QLinearConv/QLinearMatMul integer operators)',
  dynamic: 'dynamic (DynamicQuantizeLinear + ConvInteger/MatMulInteger: activations quantized at run time)',
};

/** Lowest value of a quantized element type: an output zero point there means nothing below zero survives. */
const TYPE_MIN: Partial<Record<number, number>> = {
  [DataType.UINT8]: 0, [DataType.INT8]: -128, [DataType.UINT16]: 0, [DataType.INT16]: -32768, [DataType.UINT4]: 0, [DataType.INT4]: -8,
};

class Rewriter {
  readonly g: GraphView;
  private readonly values: Map<string, Tensor>;
  private readonly taken: Set<string>;
  readonly added: INodeProto[] = [];
  readonly inits: ReturnType<typeof tensorToProto>[] = [];

  constructor(readonly model: ModelProto, private readonly what: string) {
    this.g = new GraphView(model);
    this.values = this.g.foldConstants();
    this.taken = new Set([...this.g.nodes.flatMap((n) => [...n.inputs, ...n.outputs]), ...this.g.initializerNames(), ...this.g.inputs.map((i) => i.name)]);
  }

  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  fail(n: OnnxNode, msg: string): never {
    throw new UserError(`${this.what}: node '${nodeLabel(n)}' (${n.opType}): ${msg}`);
  }

  constant(n: OnnxNode, t: string, role: string): Tensor {
    const v = t ? this.values.get(t) : undefined;
    if (!v) this.fail(n, `its ${role} '${t}' is not a constant; hwq reads quantization parameters fixed in the file`);
    return v;
  }

  node(op: string, name: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void {
    this.added.push(makeNode({ op, name: this.fresh(name), inputs, outputs, attrs }));
  }

  /** DequantizeLinear of `x` (per channel along `axis` when the scale is a vector); returns the float tensor. */
  dequantize(x: string, scale: string, zero: string | undefined, owner: string, role: string, axis?: number): string {
    const out = this.fresh(`${owner}/${role}`);
    const perChannel = axis !== undefined && numel(this.values.get(scale)?.dims ?? []) > 1;
    this.node('DequantizeLinear', `${owner}/dequantize_${role}`, zero ? [x, scale, zero] : [x, scale], [out], perChannel ? { axis: attr.int(axis) } : {});
    return out;
  }

  /**
   * QuantizeLinear of `y` into `out` (the integer operator's output), after a Relu when the output zero point
   * sits at the bottom of its type: then nothing below zero is representable, which is how onnxruntime fuses
   * a ReLU into the operator before it, and the float model has to say so.
   */
  quantizeOutput(n: OnnxNode, y: string, scale: string, zero: string | undefined, out: string): void {
    const zp = zero ? this.values.get(zero) : undefined;
    const min = zp ? TYPE_MIN[zp.dataType] : 0;
    const clamps = zero === undefined || (zp !== undefined && min !== undefined && Array.from(zp.data).every((v) => v === min));
    let t = y;
    if (clamps) {
      t = this.fresh(`${nodeLabel(n)}/relu`);
      this.node('Relu', `${nodeLabel(n)}/relu`, [y], [t]);
    }
    this.node('QuantizeLinear', `${nodeLabel(n)}/quantize`, zero ? [t, scale, zero] : [t, scale], [out]);
  }

  /** An int32 bias with scale (input scale x weight scale per channel), as float. */
  floatBias(n: OnnxNode, b: string, inScale: string, wScale: string): string {
    const bias = this.constant(n, b, 'bias');
    const sx = this.constant(n, inScale, 'input scale').data[0];
    const sw = this.constant(n, wScale, 'weight scale').data;
    const out = floatTensor([bias.data.length], Array.from(bias.data, (v, c) => Math.fround(Number(v) * sx * Number(sw[sw.length === 1 ? 0 : c]))));
    const name = this.fresh(`${nodeLabel(n)}/bias`);
    this.inits.push(tensorToProto(name, out));
    return name;
  }
}

/** A node's attributes, minus the ones only the integer form has. */
function floatAttrs(n: OnnxNode, drop: string[] = []): Record<string, AttrValue> {
  return Object.fromEntries([...n.attrs].filter(([k]) => !drop.includes(k)));
}

/** Rewrites one integer operator; returns false for nodes that are not one. */
function rewriteQOperator(r: Rewriter, n: OnnxNode): boolean {
  const name = nodeLabel(n);
  const i = n.inputs;
  if (isDefaultDomain(n) && n.opType === 'QLinearConv') {
    // x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B
    const x = r.dequantize(i[0], i[1], i[2], name, 'x');
    const w = r.dequantize(i[3], i[4], i[5], name, 'w', 0);
    const b = i[8] ? [r.floatBias(n, i[8], i[1], i[4])] : [];
    const y = r.fresh(`${name}/y`);
    r.node('Conv', name, [x, w, ...b], [y], floatAttrs(n));
    r.quantizeOutput(n, y, i[6], i[7], n.outputs[0]);
    return true;
  }
  if (isDefaultDomain(n) && n.opType === 'QLinearMatMul') {
    // a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp
    const a = r.dequantize(i[0], i[1], i[2], name, 'a');
    const b = r.dequantize(i[3], i[4], i[5], name, 'b', 1);
    const y = r.fresh(`${name}/y`);
    r.node('MatMul', name, [a, b], [y]);
    r.quantizeOutput(n, y, i[6], i[7], n.outputs[0]);
    return true;
  }
  if (n.domain !== MS) return false;
  if (n.opType === 'QGemm') {
    // A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp; without y_scale the output is float
    const a = r.dequantize(i[0], i[1], i[2], name, 'a');
    const b = r.dequantize(i[3], i[4], i[5], name, 'b', attrInt(n, 'transB', 0) ? 0 : 1);
    const c = i[6] ? [r.floatBias(n, i[6], i[1], i[4])] : [];
    if (!i[7]) {
      r.node('Gemm', name, [a, b, ...c], [n.outputs[0]], floatAttrs(n));
      return true;
    }
    const y = r.fresh(`${name}/y`);
    r.node('Gemm', name, [a, b, ...c], [y], floatAttrs(n));
    r.quantizeOutput(n, y, i[7], i[8], n.outputs[0]);
    return true;
  }
  if (n.opType === 'QLinearConcat') {
    // y_scale, y_zp, then (x, x_scale, x_zp) per operand
    const xs: string[] = [];
    for (let k = 2; k + 2 < i.length; k += 3) xs.push(r.dequantize(i[k], i[k + 1], i[k + 2], name, `x${xs.length}`));
    const y = r.fresh(`${name}/y`);
    r.node('Concat', name, xs, [y], floatAttrs(n));
    r.node('QuantizeLinear', `${name}/quantize`, [y, i[0], i[1]], [n.outputs[0]]);
    return true;
  }
  const spec = MS_QLINEAR[n.opType];
  if (!spec) return false;
  if (attrInt(n, 'channels_last', 0)) r.fail(n, 'channels_last=1 is not read; export the model channels-first');
  const xs = spec.operands.map((k, j) => r.dequantize(i[k], i[k + 1], i[k + 2], name, `x${j}`));
  const y = r.fresh(`${name}/y`);
  r.node(spec.op, name, xs, [y], floatAttrs(n, ['channels_last', 'opset']));
  r.node('QuantizeLinear', `${name}/quantize`, [y, i[spec.out!], i[spec.out! + 1]].filter(Boolean), [n.outputs[0]]);
  return true;
}

/**
 * Rewrites a ConvInteger/MatMulInteger with the Cast and scale Mul onnxruntime's dynamic quantization puts
 * after it (the pattern its own DynamicQuantizeConvIntegerFusion matches); returns the nodes it replaced.
 */
function rewriteDynamic(r: Rewriter, n: OnnxNode): OnnxNode[] {
  const name = nodeLabel(n);
  const [xq, wq, xzp, wzp] = n.inputs;
  const dql = r.g.producer(xq);
  const expect = `onnxruntime's dynamic pattern (DynamicQuantizeLinear -> ${n.opType} -> Cast -> Mul by the input scale x the weight scale)`;
  if (dql?.opType !== 'DynamicQuantizeLinear') r.fail(n, `its input '${xq}' does not come from DynamicQuantizeLinear; hwq reads ${expect}`);
  const [cast] = r.g.consumers(n.outputs[0]);
  const [mul] = cast ? r.g.consumers(cast.outputs[0]) : [];
  const ok = r.g.consumers(n.outputs[0]).length === 1 && cast?.opType === 'Cast' && attrInt(cast, 'to', 0) === DataType.FLOAT &&
    r.g.consumers(cast.outputs[0]).length === 1 && mul?.opType === 'Mul';
  if (!ok) r.fail(n, `its output is not cast to float and scaled as in ${expect}`);
  const scales = mul.inputs.find((t) => t !== cast.outputs[0]) ?? '';
  const sm = r.g.producer(scales);
  const wScale = sm?.opType === 'Mul' && sm.inputs.includes(dql.outputs[1]) ? sm.inputs.find((t) => t !== dql.outputs[1]) : undefined;
  if (!wScale) r.fail(n, `the Mul after it does not scale by the input scale x the weight scale as in ${expect}`);
  r.constant(n, wScale, 'weight scale');
  const x = r.dequantize(xq, dql.outputs[1], xzp || dql.outputs[2], name, 'x');
  const conv = n.opType === 'ConvInteger';
  const w = r.dequantize(wq, wScale, wzp || undefined, name, 'w', conv ? 0 : 1);
  r.node(conv ? 'Conv' : 'MatMul', name, [x, w], [mul.outputs[0]], conv ? floatAttrs(n) : {});
  return [n, cast, mul];
}

/** The model with its QOperator or dynamic layers as QDQ (a copy; a float or QDQ model comes back as is). */
export function asQdq(source: IModelProto, what: string): ModelProto {
  const model = decodeModel(encodeModel(source), what);
  const format = quantizedFormat(model);
  if (format !== 'QOperator' && format !== 'dynamic') return model;
  const r = new Rewriter(model, what);
  const replaced = new Set<number>();
  const out: INodeProto[] = [];
  const protos = model.graph!.node ?? [];
  for (const n of r.g.topoOrder()) {
    if (replaced.has(n.index)) continue;
    const before = r.added.length;
    if (isDefaultDomain(n) && (n.opType === 'ConvInteger' || n.opType === 'MatMulInteger')) {
      for (const m of rewriteDynamic(r, n)) replaced.add(m.index);
    } else if (!rewriteQOperator(r, n)) {
      out.push(protos[n.index]);
      continue;
    }
    out.push(...r.added.slice(before));
  }
  const g = model.graph!;
  // Nodes after a replaced Cast/Mul were placed by topological order before the rewrite: order again.
  g.node = out;
  g.initializer = [...(g.initializer ?? []), ...r.inits];
  // value_info of the integer operators' outputs still holds; new tensors carry none.
  pruneUnused(g);
  const ordered = new GraphView(model).topoOrder().map((n) => g.node![n.index]);
  g.node = ordered;
  useOpset(model, 13);
  return model;
}

/**
 * DequantizeLinear takes a per-channel scale (axis) from opset 13 on; an older operator-form model gets its
 * default-domain opset raised to 13 when the rewrite needs it. Ops whose meaning changed at 13 (Squeeze,
 * Unsqueeze, Split, ReduceSum and the like take axes as inputs there) are checked first.
 */
function useOpset(model: ModelProto, min: number): void {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const needs = (model.graph?.node ?? []).some((n) => n.opType === 'DequantizeLinear' && (n.attribute ?? []).some((a) => a.name === 'axis'));
  if (!entry || !needs || Number(entry.version) >= min) return;
  const changed = new Set(['Squeeze', 'Unsqueeze', 'Split', 'ReduceSum']);
  const bad = (model.graph?.node ?? []).find((n) => isDefaultDomain(n) && changed.has(n.opType ?? ''));
  if (bad) {
    throw new UserError(`model at opset ${Number(entry.version)} has per-channel weight scales, which DequantizeLinear reads from opset 13, ` +
      `and a ${bad.opType} whose form changed at 13: re-export the model at opset 13 or later`);
  }
  entry.version = min;
}

/** Activations a node quantizes or dequantizes (not constants): its data input and output. */
function activationQuantizer(g: GraphView, n: OnnxNode): { from: string; to: string } | undefined {
  if (!isDefaultDomain(n)) return undefined;
  if (n.opType === 'QuantizeLinear' || n.opType === 'DynamicQuantizeLinear') return { from: n.inputs[0], to: n.outputs[0] };
  const constant = g.hasInitializer(n.inputs[0]) || g.producer(n.inputs[0])?.opType === 'Constant';
  if (n.opType === 'DequantizeLinear' && !constant) return { from: n.inputs[0], to: n.outputs[0] };
  return undefined;
}

/**
 * The float model a quantized one approximates (a copy): operator forms through asQdq, weights and biases
 * dequantized into float initializers, every activation QuantizeLinear/DequantizeLinear removed.
 */
export function asFloat(source: IModelProto, what: string): ModelProto {
  const model = foldWeightDequantization(asQdq(source, what));
  const g = model.graph!;
  const view = new GraphView(model);
  const alias = new Map<string, string>();
  const drop = new Set<number>();
  for (const n of view.nodes) {
    const q = activationQuantizer(view, n);
    if (!q) continue;
    alias.set(q.to, q.from);
    drop.add(n.index);
  }
  const resolve = (t: string): string => {
    let cur = t;
    while (alias.has(cur)) cur = alias.get(cur)!;
    return cur;
  };
  const nodes = (g.node ?? []).filter((_, k) => !drop.has(k));
  for (const n of nodes) n.input = (n.input ?? []).map((t) => (t ? resolve(t) : t));
  const inputs = new Set((g.input ?? []).map((v) => v.name ?? ''));
  for (const o of g.output ?? []) {
    const name = o.name ?? '';
    const src = resolve(name);
    if (src !== name) {
      // The output keeps its name: its producer writes it directly, or an Identity passes a graph input through.
      const p = nodes.find((n) => (n.output ?? []).includes(src));
      if (p && !inputs.has(src)) {
        p.output = (p.output ?? []).map((t) => (t === src ? name : t));
        for (const n of nodes) n.input = (n.input ?? []).map((t) => (t === src ? name : t));
        for (const oo of g.output ?? []) if (oo !== o && resolve(oo.name ?? '') === src) alias.set(oo.name ?? '', name);
      } else nodes.push(makeNode({ op: 'Identity', name: `${name}/identity`, inputs: [src], outputs: [name] }));
    }
    const tt = o.type?.tensorType;
    if (tt && tt.elemType !== DataType.FLOAT && tt.elemType !== DataType.DOUBLE && tt.elemType !== DataType.FLOAT16) tt.elemType = DataType.FLOAT;
  }
  g.node = nodes;
  // Tensors that held integers now hold floats: their recorded types are stale.
  g.valueInfo = [];
  pruneUnused(g);
  return model;
}
