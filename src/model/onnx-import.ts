// ONNX graph -> network IR. Conv, Gemm/MatMul with constant weights, pooling and residual Adds become IR
// layers; everything between them (BatchNorm, activations, Pad, Slice, Reshape, Flatten...) is walked
// through so each layer names the nearest IR layers that feed it. Activations and BatchNorm directly after a
// layer are recorded on it (activation, bias); a pure spatial zero Pad before a Conv or pool becomes its
// padding. Shapes come from static shape inference with the batch dim fixed to 1.
import { basename } from 'node:path';
import { UserError } from '../errors.js';
import { GraphView, type OnnxNode, attrFloat, attrInt, nodeLabel } from '../onnx/graph.js';
import { type IModelProto, decodeModel, int64ToNumber, loadModel } from '../onnx/proto.js';
import { type ShapeInfo, inferShapes, padAmounts, padModeValue, windowOf } from '../onnx/shapes.js';
import { DataType, numel } from '../onnx/tensor.js';
import { conv1dAs2d, hasConv1d } from '../onnx/conv1d.js';
import { asQdq, quantizedFormat } from '../onnx/dequantize-model.js';
import {
  type Activation,
  type AddLayer,
  type ConvLayer,
  type FcLayer,
  type Layer,
  type MatMulLayer,
  type Network,
  type Pad4,
  type PoolLayer,
  type Precision,
  type Shape3,
  windowOut,
} from './ir.js';
import { IMPORT_OPS, UNSUPPORTED_WHY } from './onnx-ops.js';

export interface ImportOptions {
  /** Full dims of the data input (batch first), for models exported with symbolic spatial dims. */
  inputDims?: number[];
}

/** Ops that only re-index an activation (used to find the un-flattened shape an fc layer reads). */
const RESHAPE_OPS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);
/** Ops between a layer and its bias or activation that leave what the layer computes unchanged. */
const EPILOGUE_THROUGH = new Set(['Squeeze', 'Unsqueeze', 'QuantizeLinear', 'DequantizeLinear']);
/** Ops that read an activation but produce a constant (its shape). */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

/** Reads an ONNX file (or its bytes) and returns its network IR. */
export function importOnnx(src: string | Uint8Array, name?: string, opts: ImportOptions = {}): Network {
  const model = typeof src === 'string' ? loadModel(src) : decodeModel(src);
  const netName = name ?? (typeof src === 'string' ? basename(src).replace(/\.onnx$/i, '') : model.graph?.name || 'onnx-model');
  const what = typeof src === 'string' ? basename(src) : 'ONNX bytes';
  return importOnnxModel(model, netName, what, opts);
}

/**
 * An already-quantized model is read in its QDQ form (operator forms rewritten, see dequantize-model.ts), whose
 * quantized types give each layer's bit widths; 1-D convolutions and pools are read as their 2-D forms.
 */
export function importOnnxModel(source: IModelProto, name: string, what = 'ONNX model', opts: ImportOptions = {}): Network {
  const format = quantizedFormat(source);
  let model = format === 'QOperator' || format === 'dynamic' ? asQdq(source, what) : source;
  if (hasConv1d(model)) model = conv1dAs2d(model);
  const net = importGraph(model, name, what, opts);
  return format ? { ...net, quantized: { format, dynamicActivations: format === 'dynamic' } } : net;
}

function importGraph(model: IModelProto, name: string, source: string, opts: ImportOptions): Network {
  const g = new GraphView(model);
  if (g.inputs.length !== 1) {
    throw new UserError(`${source}: expected one data input, found ${g.inputs.length}${g.inputs.length ? ` (${g.inputs.map((i) => i.name).join(', ')})` : ''}`);
  }
  const dataInput = g.inputs[0].name;
  const order = g.topoOrder();
  const act = activationTensors(order, dataInput);
  for (const n of order) {
    if (!onPath(n, act)) continue;
    if (!IMPORT_OPS.includes(n.opType) || (n.domain && n.domain !== 'ai.onnx')) {
      const op = `${n.domain ? `${n.domain}.` : ''}${n.opType}`;
      const why = n.domain && n.domain !== 'ai.onnx' ? undefined : UNSUPPORTED_WHY[n.opType];
      throw new UserError(`${source}: op '${op}' (node '${nodeLabel(n)}') ${why ?? `cannot be represented in the network IR; supported ops: ${IMPORT_OPS.join(', ')}`}`);
    }
  }
  const info = inferShapes(g, opts.inputDims ? { inputDims: { [dataInput]: opts.inputDims } } : {});
  const b = new Importer(g, info, act, dataInput, source);
  for (const n of order) if (onPath(n, act)) b.visit(n);
  if (!b.layers.some((l) => l.kind === 'conv' || l.kind === 'fc' || l.kind === 'matmul')) {
    throw new UserError(`${source}: no Conv, Gemm or MatMul with constant weights found`);
  }
  const producer = model.producerName ? `, from ${model.producerName}` : '';
  return {
    name,
    description: `imported from ${source} (opset ${g.opset}, IR version ${int64ToNumber(model.irVersion)}${producer})`,
    input: networkInput(g, info, dataInput, b.layers),
    layers: b.layers,
  };
}

/**
 * The input as the network sees it: an NHWC input (TensorFlow exports) that goes straight into a Transpose
 * to NCHW is described by its transposed dims.
 */
function networkInput(g: GraphView, info: ShapeInfo, input: string, layers: Layer[]): Shape3 {
  // A sequence [N, C, L] into a 1-D convolution (read as 2-D, height 1) is C channels of 1 x L, not the L x C
  // matrix a rank-3 tensor otherwise stands for.
  const first = layers.find((l) => l.inputs.includes('input'));
  if (info.dims.get(input)?.length === 3 && (first?.kind === 'conv' || first?.kind === 'pool') && first.input.h === 1) return first.input;
  const cs = g.consumers(input);
  const t = cs.length === 1 && cs[0].opType === 'Transpose' ? cs[0] : undefined;
  const perm = t?.attrs.get('perm');
  if (t && perm?.kind === 'ints' && perm.value.join() === '0,3,1,2') return toShape3(info.dims.get(t.outputs[0]) as number[], t.outputs[0]);
  return toShape3(info.dims.get(input) as number[], input);
}

/** Tensors derived from the data input (Shape/Size outputs excepted: those are constants once shapes are known). */
function activationTensors(order: OnnxNode[], input: string): Set<string> {
  const act = new Set([input]);
  for (const n of order) {
    if (SHAPE_ONLY.has(n.opType)) continue;
    if (n.inputs.some((i) => act.has(i))) for (const o of n.outputs) if (o) act.add(o);
  }
  return act;
}

function onPath(n: OnnxNode, act: Set<string>): boolean {
  return n.inputs.some((i) => act.has(i));
}

/**
 * Per-sample dims -> Shape3: [C,H,W] as is, a vector [F] as F x 1 x 1, and a row-major matrix [M,K] as
 * K x M x 1 (features as channels, rows as height; the IR's matmul convention).
 */
export function toShape3(dims: number[], what: string): Shape3 {
  const d = dims.slice(1);
  if (d.length === 3) return { c: d[0], h: d[1], w: d[2] };
  if (d.length === 2) return { c: d[1], h: d[0], w: 1 };
  if (d.length === 1) return { c: d[0], h: 1, w: 1 };
  if (d.length === 0) return { c: 1, h: 1, w: 1 };
  throw new UserError(`tensor '${what}' has dims [${dims.join(', ')}]; the network IR holds at most 3 dims per sample`);
}

interface Epilogue {
  activation: Activation;
  /** A BatchNorm or constant Add/Sub follows, so the layer has a bias term. */
  bias: boolean;
}

class Importer {
  readonly layers: Layer[] = [];
  private readonly src = new Map<string, string[]>();
  private readonly names = new Set<string>(['input']);

  constructor(
    private readonly g: GraphView,
    private readonly info: ShapeInfo,
    private readonly act: Set<string>,
    input: string,
    private readonly source: string,
  ) {
    this.src.set(input, ['input']);
  }

  private dims(t: string): number[] {
    const d = this.info.dims.get(t);
    if (!d) throw new Error(`no shape for '${t}'`);
    return d;
  }

  private shape(t: string): Shape3 {
    return toShape3(this.dims(t), t);
  }

  private fail(n: OnnxNode, msg: string): never {
    throw new UserError(`${this.source}: node '${nodeLabel(n)}' (${n.opType}): ${msg}`);
  }

  /** Producing IR layers of the activation operands of `n`, in operand order, without repeats. */
  private sources(tensors: string[]): string[] {
    const out: string[] = [];
    for (const t of tensors) for (const s of this.src.get(t) ?? []) if (!out.includes(s)) out.push(s);
    return out;
  }

  private actInputs(n: OnnxNode): string[] {
    return n.inputs.filter((i) => this.act.has(i));
  }

  private uniqueName(n: OnnxNode): string {
    const base = nodeLabel(n);
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  private emit(n: OnnxNode, layer: Layer): void {
    this.layers.push(layer);
    for (const o of n.outputs) if (o) this.src.set(o, [layer.name]);
  }

  private passThrough(n: OnnxNode): void {
    const s = this.sources(this.actInputs(n));
    for (const o of n.outputs) if (o && this.act.has(o)) this.src.set(o, s);
  }

  visit(n: OnnxNode): void {
    switch (n.opType) {
      case 'Conv':
        return this.conv(n);
      case 'Gemm':
      case 'MatMul':
        return this.dense(n);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(n);
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        return this.globalPool(n, n.opType === 'GlobalMaxPool' ? 'max' : 'avg');
      case 'ReduceMean':
        if (this.isSpatialMean(n)) return this.globalPool(n, 'avg');
        return this.passThrough(n);
      case 'Add':
      case 'Sum':
        if (this.actInputs(n).length >= 2) return this.add(n);
        return this.passThrough(n);
      default:
        if (SHAPE_ONLY.has(n.opType)) return;
        return this.passThrough(n);
    }
  }

  /** A constant-zero Pad on H and W only, feeding `tensor`: [top, left, bottom, right] and the tensor it pads. */
  private foldablePad(tensor: string): { from: string; pad: Pad4 } | undefined {
    const p = this.g.producer(tensor);
    if (!p || p.opType !== 'Pad' || !this.act.has(p.inputs[0])) return undefined;
    const inp = p.inputs.map((i) => this.info.value(i));
    const rank = this.dims(p.inputs[0]).length;
    if (rank !== 4) return undefined;
    const { mode, value } = padModeValue(p, inp);
    if (mode !== 'constant' || value !== 0) return undefined;
    const pads = padAmounts(p, rank, inp, this.g.opset);
    if (pads[0] || pads[1] || pads[4] || pads[5] || pads.some((v) => v < 0)) return undefined;
    return { from: p.inputs[0], pad: [pads[2], pads[3], pads[6], pads[7]] };
  }

  /** BatchNorm, bias adds and one activation that only this layer's output feeds. */
  private epilogue(out: string): Epilogue {
    const ep: Epilogue = { activation: 'none', bias: false };
    let t = out;
    for (;;) {
      const cs = this.g.consumers(t);
      if (cs.length !== 1 || this.g.isGraphOutput(t)) return ep;
      const c = cs[0];
      const others = c.inputs.filter((i) => i && i !== t);
      const constOperand = others.length === 1 && !this.act.has(others[0]);
      if (c.opType === 'BatchNormalization' || ((c.opType === 'Add' || c.opType === 'Sub') && constOperand)) {
        ep.bias = true;
      } else if ((c.opType === 'Mul' || c.opType === 'Div') && constOperand) {
        // a per-channel scale: folds into the weights
      } else if (EPILOGUE_THROUGH.has(c.opType)) {
        // a 1-D convolution read as 2-D returns to its 1-D shape, and a quantized one rounds its output,
        // before its bias and activation
      } else {
        const a = this.activationOf(c);
        if (a !== undefined) ep.activation = a;
        return ep;
      }
      t = c.outputs[0];
    }
  }

  /** The IR activation a node applies, or undefined when it is not an activation the IR names. */
  private activationOf(n: OnnxNode): Activation | undefined {
    switch (n.opType) {
      case 'Relu':
        return 'relu';
      case 'Sigmoid':
        return 'sigmoid';
      case 'Tanh':
        return 'tanh';
      case 'Clip': {
        const [lo, hi] = this.clipBounds(n);
        if (lo === 0 && hi === 6) return 'relu6';
        // Any other clamp at 0 from below zeroes negatives like a ReLU (calibrated ReLU6 bounds, for one);
        // a clamp below 0 only saturates, which the IR has no name for.
        return lo >= 0 ? 'relu' : 'none';
      }
      default:
        return undefined;
    }
  }

  private clipBounds(n: OnnxNode): [number, number] {
    if (n.attrs.has('min') || n.attrs.has('max') || this.g.opset < 11) {
      return [attrFloat(n, 'min', -Infinity), attrFloat(n, 'max', Infinity)];
    }
    const bound = (k: number, dflt: number): number => {
      if (!n.inputs[k]) return dflt;
      const v = this.info.value(n.inputs[k]);
      if (!v) this.fail(n, `bound '${n.inputs[k]}' is not a constant`);
      return v.data[0];
    };
    return [bound(1, -Infinity), bound(2, Infinity)];
  }

  private conv(n: OnnxNode): void {
    const [x, w, bias] = n.inputs;
    if (!this.act.has(x)) this.fail(n, 'the data operand is a constant');
    if (this.act.has(w)) this.fail(n, 'the weight is computed from the input, not a constant; the IR needs constant weights');
    const xd = this.dims(x);
    const wd = this.dims(w);
    if (xd.length !== 4) this.fail(n, `only 2-D convolutions are supported (input dims [${xd.join(', ')}])`);
    const groups = attrInt(n, 'group', 1);
    const win = windowOf(n, xd.slice(2), wd.slice(2));
    const folded = this.foldablePad(x);
    const from = folded?.from ?? x;
    const extra = folded?.pad ?? [0, 0, 0, 0];
    const pad: Pad4 = [win.padsBegin[0] + extra[0], win.padsBegin[1] + extra[1], win.padsEnd[0] + extra[2], win.padsEnd[1] + extra[3]];
    const input = this.shape(from);
    const output = this.shape(n.outputs[0]);
    const ep = this.epilogue(n.outputs[0]);
    const layer: ConvLayer = {
      kind: 'conv', name: this.uniqueName(n), inputs: this.sources([from]), input, output,
      inC: xd[1], outC: wd[0], kernel: [win.kernel[0], win.kernel[1]], stride: [win.strides[0], win.strides[1]], pad,
      dilation: [win.dilations[0], win.dilations[1]], groups, bias: Boolean(bias) || ep.bias, activation: ep.activation,
    };
    this.checkWindow(n, layer.input, layer.output, layer.kernel, layer.stride, pad, layer.dilation);
    this.emit(n, this.withPrecision(layer, [x, from], w));
  }

  private checkWindow(n: OnnxNode, i: Shape3, o: Shape3, k: [number, number], s: [number, number], p: Pad4, d: [number, number]): void {
    const h = windowOut(i.h, k[0], s[0], p[0], p[2], d[0]);
    const w = windowOut(i.w, k[1], s[1], p[1], p[3], d[1]);
    if (h !== o.h || w !== o.w) throw new Error(`node ${nodeLabel(n)}: IR window gives ${h}x${w}, shape inference ${o.h}x${o.w}`);
  }

  /** Gemm or MatMul with a constant right operand: fc for one row per sample, matmul for several. */
  private dense(n: OnnxNode): void {
    const [a, bw, c] = n.inputs;
    if (this.act.has(bw) || !this.act.has(a)) {
      this.fail(n, `${this.act.has(a) && this.act.has(bw) ? 'a product of two activations' : 'a constant left operand'} cannot be represented; `
        + `the IR needs activation x constant weights (supported ops: ${IMPORT_OPS.join(', ')})`);
    }
    const ad = this.dims(a);
    const bd = this.dims(bw);
    const ep = this.epilogue(n.outputs[0]);
    let k: number;
    let nOut: number;
    if (n.opType === 'Gemm') {
      if (attrInt(n, 'transA', 0)) this.fail(n, 'transA=1 multiplies across the batch; only transA=0 is supported');
      [k, nOut] = attrInt(n, 'transB', 0) ? [bd[1], bd[0]] : [bd[0], bd[1]];
    } else {
      if (bd.length !== 2) this.fail(n, `weight dims [${bd.join(', ')}]: only 2-D constant weights are supported`);
      [k, nOut] = bd;
    }
    const bias = (n.opType === 'Gemm' && Boolean(c)) || ep.bias;
    const name = this.uniqueName(n);
    const inputs = this.sources([a]);
    // Per sample: [k] is one row; [.., m, k] is m rows, repeated over any further leading dims.
    const rows = ad.length >= 3 ? ad[ad.length - 2] : 1;
    const steps = ad.length >= 4 ? numel(ad.slice(1, -2)) : 1;
    if (rows * steps === 1) {
      const layer: FcLayer = {
        kind: 'fc', name, inputs, input: this.flatSource(a, k), output: { c: nOut, h: 1, w: 1 },
        inFeatures: k, outFeatures: nOut, bias, activation: ep.activation,
      };
      this.emit(n, this.withPrecision(layer, [a], bw));
      return;
    }
    // Shapes are those of one step, as the IR's matmul states them.
    const layer: MatMulLayer = {
      kind: 'matmul', name, inputs, input: { c: k, h: rows, w: 1 }, output: { c: nOut, h: rows, w: 1 },
      m: rows, k, n: nOut, steps, bias, activation: ep.activation,
    };
    this.emit(n, this.withPrecision(layer, [a], bw));
  }

  /**
   * In a QDQ model the operand bit widths are stated by the quantized types feeding DequantizeLinear: the
   * layer gets a precision when both its data (any of `data`, the tensors it reads before and after a folded
   * Pad) and its weight come out of DequantizeLinear nodes.
   */
  private withPrecision<T extends ConvLayer | FcLayer | MatMulLayer>(layer: T, data: string[], weight: string): T {
    const w = this.dequantBits(weight);
    const a = data.map((t) => this.dequantBits(t)).find((b) => b !== undefined);
    if (w === undefined || a === undefined) return layer;
    const precision: Precision = { a, w };
    return { ...layer, precision };
  }

  /** Bits of the quantized tensor a DequantizeLinear producing `t` (through reshapes) reads, if one does. */
  private dequantBits(t: string): number | undefined {
    let dq = this.g.producer(t);
    // Re-indexing keeps the values, so the bits (a 1-D convolution's input unsqueezed after its DequantizeLinear)
    while (dq && RESHAPE_OPS.has(dq.opType)) dq = this.g.producer(dq.inputs[0]);
    if (!dq || dq.opType !== 'DequantizeLinear') return undefined;
    const [x, , zp] = dq.inputs;
    let type = zp ? this.g.initializerType(zp) ?? this.info.value(zp)?.dataType : undefined;
    type ??= this.g.initializerType(x);
    if (type === undefined) {
      const q = this.g.producer(x);
      if (q?.opType === 'DynamicQuantizeLinear') {
        type = DataType.UINT8;
      } else if (q?.opType === 'QuantizeLinear') {
        const qzp = q.inputs[2];
        type = (qzp ? this.g.initializerType(qzp) ?? this.info.value(qzp)?.dataType : undefined) ?? attrInt(q, 'output_dtype', 0);
        // QuantizeLinear without a zero point or output_dtype produces uint8.
        if (!type) type = DataType.UINT8;
      } else {
        type = this.info.value(x)?.dataType;
      }
    }
    return type === undefined ? undefined : BITS[type];
  }

  /** The shape an fc layer reads before Flatten/Reshape made it a vector (e.g. 512 x 7 x 7), if sizes agree. */
  private flatSource(t: string, features: number): Shape3 {
    let cur = t;
    for (;;) {
      const p = this.g.producer(cur);
      if (!p || !RESHAPE_OPS.has(p.opType) || !this.act.has(p.inputs[0])) break;
      cur = p.inputs[0];
    }
    const d = this.dims(cur);
    if (d.length <= 4 && numel(d.slice(1)) === features) return toShape3(d, cur);
    return { c: features, h: 1, w: 1 };
  }

  private pool(n: OnnxNode): void {
    const x = n.inputs[0];
    const xd = this.dims(x);
    if (xd.length !== 4) this.fail(n, `only 2-D pooling is supported (input dims [${xd.join(', ')}])`);
    const kernel = attrIntsReq(n, 'kernel_shape');
    const win = windowOf(n, xd.slice(2), kernel);
    if (win.dilations.some((d) => d !== 1)) this.fail(n, 'dilated pooling is not supported');
    const folded = this.foldablePad(x);
    const from = folded?.from ?? x;
    const extra = folded?.pad ?? [0, 0, 0, 0];
    const pad: Pad4 = [win.padsBegin[0] + extra[0], win.padsBegin[1] + extra[1], win.padsEnd[0] + extra[2], win.padsEnd[1] + extra[3]];
    const layer: PoolLayer = {
      kind: 'pool', name: this.uniqueName(n), inputs: this.sources([from]), input: this.shape(from), output: this.shape(n.outputs[0]),
      op: n.opType === 'MaxPool' ? 'max' : 'avg', global: false, kernel: [kernel[0], kernel[1]], stride: [win.strides[0], win.strides[1]], pad,
    };
    this.checkWindow(n, layer.input, layer.output, layer.kernel, layer.stride, pad, [1, 1]);
    this.emit(n, layer);
  }

  private isSpatialMean(n: OnnxNode): boolean {
    const xd = this.dims(n.inputs[0]);
    if (xd.length !== 4) return false;
    const od = this.dims(n.outputs[0]);
    // Reducing exactly H and W leaves N, C (and two 1s with keepdims).
    return od[0] === xd[0] && od[1] === xd[1] && numel(od) === xd[0] * xd[1] && xd[2] * xd[3] > 1 && (od.length === 2 || od.length === 4);
  }

  private globalPool(n: OnnxNode, op: 'max' | 'avg'): void {
    const x = n.inputs[0];
    const xd = this.dims(x);
    if (xd.length !== 4) this.fail(n, `only 2-D pooling is supported (input dims [${xd.join(', ')}])`);
    const input = this.shape(x);
    const layer: PoolLayer = {
      kind: 'pool', name: this.uniqueName(n), inputs: this.sources([x]), input, output: { c: input.c, h: 1, w: 1 },
      op, global: true, kernel: [input.h, input.w], stride: [1, 1], pad: [0, 0, 0, 0],
    };
    this.emit(n, layer);
  }

  private add(n: OnnxNode): void {
    const ins = this.actInputs(n);
    const ep = this.epilogue(n.outputs[0]);
    const layer: AddLayer = {
      kind: 'add', name: this.uniqueName(n), inputs: this.sources(ins), input: this.shape(ins[0]),
      output: this.shape(n.outputs[0]), activation: ep.activation,
    };
    this.emit(n, layer);
  }
}

const BITS: Partial<Record<number, number>> = {
  [DataType.INT4]: 4, [DataType.UINT4]: 4, [DataType.INT8]: 8, [DataType.UINT8]: 8, [DataType.INT16]: 16,
  [DataType.UINT16]: 16, [DataType.INT32]: 32,
};

function attrIntsReq(n: OnnxNode, name: string): number[] {
  const a = n.attrs.get(name);
  if (!a || a.kind !== 'ints') throw new UserError(`node ${nodeLabel(n)} (${n.opType}): missing attribute '${name}'`);
  return a.value;
}
