// Static shape inference for the ops of exported CNN graphs, with a symbolic batch dimension fixed to 1.
// Alongside dims it tracks the values of small constant tensors (initializers, Constant nodes, and the
// Shape -> Gather -> Unsqueeze -> Concat chains exporters build Reshape targets and pads with), because
// those values decide the shapes of later nodes.
import { UserError } from '../errors.js';
import { CONST_EVAL_OPS, broadcastDims, evalConstOp, flattenDims, normAxis, reshapeDims, sliceArgs, sliceAxes, squeezeDims, unsqueezeDims } from './eval.js';
import { type GraphView, type OnnxNode, attrFloat, attrInt, attrInts, attrString, nodeLabel } from './graph.js';
import { DataType, type Tensor, numel } from './tensor.js';

export interface ShapeOptions {
  /** Dims per graph input, overriding the stored ones (needed when a spatial dim is symbolic). */
  inputDims?: Record<string, number[]>;
  /** Value given to a symbolic leading (batch) dim; 1 unless set. */
  batch?: number;
}

export interface ShapeInfo {
  dims: Map<string, number[]>;
  /** Known values: initializers (decoded on request) and evaluated small constants. */
  value(name: string): Tensor | undefined;
}

/** Window geometry of a Conv/ConvTranspose/pool node along its spatial axes. */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  out: number[];
}

/**
 * Resolves kernel/strides/dilations/pads/auto_pad/ceil_mode of a windowed op on spatial input dims. With
 * ceil_mode the end pads are grown so the floor formula gives the same output (the extra rows are never
 * read by a window that starts inside the input), which is how the IR states such pools.
 */
export function windowOf(n: OnnxNode, spatial: number[], kernel: number[]): Window {
  const r = spatial.length;
  const strides = attrInts(n, 'strides') ?? new Array<number>(r).fill(1);
  const dilations = attrInts(n, 'dilations') ?? new Array<number>(r).fill(1);
  const pads = attrInts(n, 'pads') ?? new Array<number>(2 * r).fill(0);
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  if (kernel.length !== r || strides.length !== r || dilations.length !== r || pads.length !== 2 * r) {
    throw new UserError(`node ${nodeLabel(n)}: kernel/strides/dilations/pads do not match ${r} spatial dims`);
  }
  const padsBegin = pads.slice(0, r);
  const padsEnd = pads.slice(r);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const eff = dilations[i] * (kernel[i] - 1) + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = Math.ceil(spatial[i] / strides[i]);
      const total = Math.max(0, (o - 1) * strides[i] + eff - spatial[i]);
      const small = Math.floor(total / 2);
      padsBegin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      padsEnd[i] = total - padsBegin[i];
    } else if (autoPad === 'VALID') {
      padsBegin[i] = 0;
      padsEnd[i] = 0;
    } else if (autoPad !== 'NOTSET') {
      throw new UserError(`node ${nodeLabel(n)}: unknown auto_pad '${autoPad}'`);
    }
    const span = spatial[i] + padsBegin[i] + padsEnd[i] - eff;
    let o = Math.floor(span / strides[i]) + 1;
    if (ceil) {
      o = Math.ceil(span / strides[i]) + 1;
      // The last window must start inside the input or its left padding (PyTorch and ORT agree on this).
      if ((o - 1) * strides[i] >= spatial[i] + padsBegin[i]) o -= 1;
      padsEnd[i] = Math.max(padsEnd[i], (o - 1) * strides[i] + eff - spatial[i] - padsBegin[i]);
    }
    if (o < 1) throw new UserError(`node ${nodeLabel(n)}: window ${kernel} does not fit the input ${spatial}`);
    out.push(o);
  }
  return { kernel, strides, dilations, padsBegin, padsEnd, out };
}

const UNARY_SAME = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu', 'Gelu', 'Softplus',
  'Softsign', 'Mish', 'Erf', 'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Floor', 'Ceil', 'Round', 'Reciprocal', 'Sign',
  'Not', 'Clip', 'BatchNormalization', 'InstanceNormalization', 'LRN', 'Dropout', 'Identity', 'Softmax',
  'LogSoftmax', 'Hardmax', 'Cast', 'PRelu', 'QuantizeLinear', 'DequantizeLinear', 'LayerNormalization',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mod', 'Sum', 'Mean', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Where']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceL1', 'ArgMax', 'ArgMin']);
const OTHER = [
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool',
  'Pad', 'Slice', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Split', 'Constant', 'Shape',
  'Size', 'Gather', 'ConstantOfShape', 'Expand', 'Range', 'Resize', 'Upsample', 'Tile', 'DynamicQuantizeLinear',
];

/** Every op inferShapes handles. */
export const SHAPE_OPS: readonly string[] = [...new Set([...UNARY_SAME, ...BROADCAST, ...REDUCE, ...OTHER])].sort();

/** Dims of every tensor in the graph (batch fixed), in the order nodes run. */
export function inferShapes(g: GraphView, opts: ShapeOptions = {}): ShapeInfo {
  const dims = new Map<string, number[]>();
  const computed = new Map<string, Tensor>();
  const value = (name: string): Tensor | undefined => (name ? computed.get(name) ?? g.initializer(name) : undefined);
  for (const name of g.initializerNames()) dims.set(name, g.initializerDims(name) as number[]);
  for (const inp of g.inputs) dims.set(inp.name, graphInputDims(inp.name, inp.dims, opts));

  for (const n of g.topoOrder()) {
    const ins = n.inputs.map((i) => (i === '' ? undefined : dims.get(i)));
    n.inputs.forEach((i, k) => {
      if (i !== '' && !ins[k]) throw new UserError(`node ${nodeLabel(n)} reads '${i}', which no node, input or initializer provides`);
    });
    const vals = (): (Tensor | undefined)[] => n.inputs.map(value);
    const outs = nodeShapes(n, ins, vals, g.opset);
    outs.forEach((d, k) => {
      if (n.outputs[k]) dims.set(n.outputs[k], d);
    });
    // Values: any node whose inputs are all known small constants, plus Shape of a known-shape tensor.
    if (n.opType === 'Shape' || n.opType === 'Size') {
      const x = ins[0] as number[];
      const r = evalConstOp(n, [{ dataType: DataType.FLOAT, dims: x, data: new Float32Array(0) }], g.opset);
      if (r) computed.set(n.outputs[0], r[0]);
    } else if (CONST_EVAL_OPS.includes(n.opType) && n.inputs.every((i) => i === '' || computed.has(i) || (g.hasInitializer(i) && numel(dims.get(i) as number[]) <= 4096))) {
      const r = evalConstOp(n, vals(), g.opset, 1 << 16);
      r?.forEach((t, k) => {
        if (n.outputs[k]) computed.set(n.outputs[k], t);
      });
    }
  }
  return { dims, value };
}

function graphInputDims(name: string, stored: (number | string | undefined)[] | undefined, opts: ShapeOptions): number[] {
  const given = opts.inputDims?.[name];
  if (given) return [...given];
  if (!stored) throw new UserError(`graph input '${name}' has no stored shape: give its dims explicitly`);
  return stored.map((d, i) => {
    if (typeof d === 'number') return d;
    if (i === 0) return opts.batch ?? 1;
    throw new UserError(`graph input '${name}' has a symbolic dim '${d ?? '?'}' at axis ${i}: export the model with a fixed input size `
      + 'or give the dims of one sample (hwq sim --input-shape, e.g. 3x224x224)');
  });
}

function need<T>(v: T | undefined, n: OnnxNode, what: string): T {
  if (v === undefined) throw new UserError(`node ${nodeLabel(n)} (${n.opType}): ${what} is not a constant this toolkit can evaluate`);
  return v;
}

function ints(t: Tensor | undefined): number[] | undefined {
  return t ? Array.from(t.data) : undefined;
}

function nodeShapes(n: OnnxNode, ins: (number[] | undefined)[], vals: () => (Tensor | undefined)[], opset: number): number[][] {
  const op = n.opType;
  const x = ins[0] as number[];
  const fail = (msg: string): never => {
    throw new UserError(`node ${nodeLabel(n)} (${op}): ${msg}`);
  };
  if (n.domain && n.domain !== 'ai.onnx') fail(`custom domain '${n.domain}' is not supported`);
  if (UNARY_SAME.has(op)) return n.outputs.map(() => [...x]);
  // the quantized tensor, then its scale and zero point (scalars)
  if (op === 'DynamicQuantizeLinear') return [[...x], [], []];
  if (BROADCAST.has(op)) {
    let d: number[] = x;
    for (const y of ins.slice(1)) {
      const b = broadcastDims(d, y as number[]);
      if (!b) fail(`cannot broadcast [${d}] with [${y}]`);
      d = b as number[];
    }
    return [d];
  }
  if (REDUCE.has(op)) {
    const keep = attrInt(n, 'keepdims', 1) === 1;
    let axes = attrInts(n, 'axes') ?? (op.startsWith('Arg') ? [attrInt(n, 'axis', 0)] : n.inputs[1] ? need(ints(vals()[1]), n, 'axes') : undefined);
    if (!axes || axes.length === 0) axes = attrInt(n, 'noop_with_empty_axes', 0) ? [] : x.map((_, i) => i);
    const set = new Set(axes.map((a) => normAxis(a, x.length, n)));
    return [keep ? x.map((d, i) => (set.has(i) ? 1 : d)) : x.filter((_, i) => !set.has(i))];
  }
  switch (op) {
    case 'Constant':
    case 'Range':
    case 'ConstantOfShape': {
      const r = evalConstOp(n, vals(), opset, Number.MAX_SAFE_INTEGER);
      return [need(r, n, 'its value')[0].dims];
    }
    case 'Shape': {
      const r = evalConstOp(n, [{ dataType: DataType.FLOAT, dims: x, data: new Float32Array(0) }], opset) as Tensor[];
      return [r[0].dims];
    }
    case 'Size':
      return [[]];
    case 'Conv':
    case 'ConvTranspose': {
      const w = ins[1] as number[];
      if (x.length < 3) fail(`input of rank ${x.length}, expected N x C x spatial`);
      const group = attrInt(n, 'group', 1);
      const kernel = attrInts(n, 'kernel_shape') ?? w.slice(2);
      const spatial = x.slice(2);
      if (op === 'Conv') {
        if (w[1] * group !== x[1]) fail(`weight [${w}] with group ${group} does not match ${x[1]} input channels`);
        return [[x[0], w[0], ...windowOf(n, spatial, kernel).out]];
      }
      const strides = attrInts(n, 'strides') ?? spatial.map(() => 1);
      const dil = attrInts(n, 'dilations') ?? spatial.map(() => 1);
      const outPad = attrInts(n, 'output_padding') ?? spatial.map(() => 0);
      const pads = attrInts(n, 'pads') ?? new Array<number>(2 * spatial.length).fill(0);
      const given = attrInts(n, 'output_shape');
      const outSp = given ?? spatial.map((s, i) => strides[i] * (s - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[i + spatial.length]);
      return [[x[0], w[1] * group, ...outSp.slice(-spatial.length)]];
    }
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool': {
      const kernel = need(attrInts(n, 'kernel_shape'), n, 'kernel_shape');
      const out = [x[0], x[1], ...windowOf(n, x.slice(2), kernel).out];
      return n.outputs.map(() => out);
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return [[x[0], x[1], ...x.slice(2).map(() => 1)]];
    case 'Gemm': {
      const b = ins[1] as number[];
      if (x.length !== 2 || b.length !== 2) fail(`operands of rank ${x.length} and ${b.length}, expected 2`);
      const [m, ka] = attrInt(n, 'transA', 0) ? [x[1], x[0]] : x;
      const [kb, nn] = attrInt(n, 'transB', 0) ? [b[1], b[0]] : b;
      if (ka !== kb) fail(`inner dims differ: [${x}] x [${b}]`);
      return [[m, nn]];
    }
    case 'MatMul':
      return [matmulDims(x, ins[1] as number[], fail)];
    case 'Flatten':
      return [flattenDims(x, attrInt(n, 'axis', 1))];
    case 'Reshape': {
      const target = opset < 5 ? attrInts(n, 'shape') : ints(vals()[1]);
      return [reshapeDims(x, need(target, n, 'the target shape'), attrInt(n, 'allowzero', 0) === 1, n)];
    }
    case 'Squeeze':
      return [squeezeDims(x, attrInts(n, 'axes') ?? (n.inputs[1] ? need(ints(vals()[1]), n, 'axes') : undefined), n)];
    case 'Unsqueeze':
      return [unsqueezeDims(x, need(attrInts(n, 'axes') ?? ints(vals()[1]), n, 'axes'), n)];
    case 'Transpose': {
      const perm = attrInts(n, 'perm') ?? x.map((_, i) => x.length - 1 - i);
      return [perm.map((p) => x[p])];
    }
    case 'Concat': {
      const axis = normAxis(attrInt(n, 'axis', 0), x.length, n);
      const out = [...x];
      out[axis] = 0;
      for (const d of ins) {
        if (!d) continue;
        if (d.length !== x.length || d.some((v, i) => i !== axis && v !== x[i])) fail(`inputs [${x}] and [${d}] differ off axis ${axis}`);
        out[axis] += d[axis];
      }
      return [out];
    }
    case 'Split': {
      const axis = normAxis(attrInt(n, 'axis', 0), x.length, n);
      const parts = attrInts(n, 'split') ?? (n.inputs[1] ? need(ints(vals()[1]), n, 'split sizes') : undefined);
      const k = n.outputs.length;
      const each = Math.ceil(x[axis] / k);
      const sizes = parts ?? Array.from({ length: k }, (_, i) => Math.max(0, Math.min(each, x[axis] - each * i)));
      return sizes.map((s) => x.map((d, i) => (i === axis ? s : d)));
    }
    case 'Slice': {
      const args = need(sliceArgs(n, vals(), opset), n, 'starts/ends/axes/steps');
      const out = [...x];
      for (const a of sliceAxes(x, args.starts, args.ends, args.axes, args.steps, n)) out[a.axis] = a.count;
      return [out];
    }
    case 'Pad': {
      const pads = padAmounts(n, x.length, vals(), opset);
      return [x.map((d, i) => d + pads[i] + pads[i + x.length])];
    }
    case 'Gather': {
      const idx = ins[1] as number[];
      const axis = normAxis(attrInt(n, 'axis', 0), x.length, n);
      return [[...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]];
    }
    case 'Expand': {
      const b = broadcastDims(x, need(ints(vals()[1]), n, 'the target shape'));
      return [b ?? fail(`cannot expand [${x}]`)];
    }
    case 'Tile': {
      const reps = need(ints(vals()[1]), n, 'repeats');
      return [x.map((d, i) => d * reps[i])];
    }
    case 'Resize':
    case 'Upsample': {
      const v = vals();
      const sizes = op === 'Resize' ? ints(v[3]) : undefined;
      if (sizes && sizes.length) return [sizes];
      const scales = attrInts(n, 'scales') ?? (op === 'Resize' ? ints(v[2]) ?? ints(v[1]) : ints(v[1]));
      const sc = need(scales && scales.length ? scales : undefined, n, 'scales or sizes');
      return [x.map((d, i) => Math.floor(d * sc[i]))];
    }
  }
  return fail(`op is not supported by shape inference; supported ops: ${SHAPE_OPS.join(', ')}`);
}

/** Numpy matmul dims (1-D operands promoted and dropped again). */
export function matmulDims(a: number[], b: number[], fail: (m: string) => never): number[] {
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  if (A[A.length - 1] !== B[B.length - 2]) fail(`inner dims differ: [${a}] x [${b}]`);
  const batch = broadcastDims(A.slice(0, -2), B.slice(0, -2)) ?? fail(`batch dims [${a}] and [${b}] do not broadcast`);
  const out = [...batch];
  if (a.length !== 1) out.push(A[A.length - 2]);
  if (b.length !== 1) out.push(B[B.length - 1]);
  return out;
}

/** Pad amounts per axis, [begin..., end...] over all `rank` axes, from the attribute or input forms. */
export function padAmounts(n: OnnxNode, rank: number, inp: (Tensor | undefined)[], opset: number): number[] {
  let pads: number[];
  if (opset < 11) {
    pads = need(attrInts(n, 'pads') ?? attrInts(n, 'paddings'), n, 'pads');
  } else {
    pads = need(ints(inp[1]), n, 'pads');
    const axes = n.inputs[3] ? need(ints(inp[3]), n, 'axes') : undefined;
    if (axes) {
      const full = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => {
        const ax = normAxis(a, rank, n);
        full[ax] = pads[i];
        full[ax + rank] = pads[i + axes.length];
      });
      pads = full;
    }
  }
  if (pads.length !== 2 * rank) throw new UserError(`node ${nodeLabel(n)}: ${pads.length} pads for rank ${rank}`);
  return pads;
}

/** Pad mode and constant value (attribute before opset 11, input after). */
export function padModeValue(n: OnnxNode, inp: (Tensor | undefined)[]): { mode: string; value: number | undefined } {
  const mode = attrString(n, 'mode', 'constant');
  // The value is an attribute before opset 11 and an optional input after; undefined when not a constant.
  const value = n.attrs.has('value') ? attrFloat(n, 'value', 0) : n.inputs[2] ? inp[2]?.data[0] : 0;
  return { mode, value };
}

