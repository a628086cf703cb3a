// Evaluates the small ops that build constants in exported graphs (shape arithmetic, index tensors, the
// pads of PyTorch's F.pad, Constant nodes) on known input values. It is not a runtime: it returns undefined
// for anything it does not know, and the shape-broadcasting/slicing helpers here are shared with shapes.ts.
import { UserError } from '../errors.js';
import { type OnnxNode, attrInt, attrInts, attrTensor, nodeLabel } from './node.js';
import { DataType, type DataTypeCode, type Tensor, allocData, makeTensor, numel } from './tensor.js';

export function normAxis(axis: number, rank: number, n?: OnnxNode): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) {
    throw new UserError(`${n ? `node ${nodeLabel(n)}: ` : ''}axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** Numpy-style broadcast of two shapes; undefined when they are incompatible. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Per-axis start, step and count of an ONNX Slice on `dims` (clamping as the spec does). */
export interface SliceAxis {
  axis: number;
  start: number;
  step: number;
  count: number;
}

export function sliceAxes(dims: readonly number[], starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined, n?: OnnxNode): SliceAxis[] {
  const ax = axes ?? starts.map((_, i) => i);
  return ax.map((a0, i) => {
    const axis = normAxis(a0, dims.length, n);
    const d = dims[axis];
    const step = steps?.[i] ?? 1;
    if (step === 0) throw new UserError(`${n ? `node ${nodeLabel(n)}: ` : ''}Slice step 0`);
    let s = starts[i];
    let e = ends[i];
    if (s < 0) s += d;
    if (e < 0) e += d;
    let count: number;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      count = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      count = Math.max(0, Math.ceil((e - s) / step));
    }
    return { axis, start: s, step, count };
  });
}

/** Reshape target with 0 (copy, unless allowzero) and one -1 (inferred) resolved. */
export function reshapeDims(inDims: readonly number[], target: readonly number[], allowZero: boolean, n?: OnnxNode): number[] {
  const out = target.map((t, i) => (t === 0 && !allowZero ? inDims[i] : t));
  const total = numel(inDims);
  const neg = out.filter((t) => t === -1).length;
  const where = n ? `node ${nodeLabel(n)}: ` : '';
  if (neg > 1) throw new UserError(`${where}Reshape target [${target}] has more than one -1`);
  if (neg === 1) {
    const known = out.filter((t) => t !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || total % known !== 0) throw new UserError(`${where}cannot reshape [${inDims}] to [${target}]`);
    out[out.indexOf(-1)] = total / known;
  }
  if (numel(out) !== total || out.some((t) => t < 0 || !Number.isInteger(t))) {
    throw new UserError(`${where}cannot reshape [${inDims}] (${total} elements) to [${target}]`);
  }
  return out;
}

// ---- kernels on tensors ----

/** Maps a flat index of a tensor of `outDims` to the flat index of a tensor of `inDims` broadcast to it. */
function indexer(inDims: readonly number[], outDims: readonly number[]): (i: number) => number {
  const r = outDims.length;
  const p = [...new Array<number>(r - inDims.length).fill(1), ...inDims];
  const si = stridesOf(p).map((s, k) => (p[k] === 1 ? 0 : s));
  const so = stridesOf(outDims);
  return (i) => {
    let rem = i;
    let src = 0;
    for (let k = 0; k < r; k++) {
      const c = Math.floor(rem / so[k]);
      rem -= c * so[k];
      src += c * si[k];
    }
    return src;
  };
}

function binary(a: Tensor, b: Tensor, f: (x: number, y: number) => number, outType: DataTypeCode = a.dataType): Tensor | undefined {
  const dims = broadcastDims(a.dims, b.dims);
  if (!dims) return undefined;
  const ia = indexer(a.dims, dims);
  const ib = indexer(b.dims, dims);
  const out = makeTensor(outType, dims);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(a.data[ia(i)], b.data[ib(i)]);
  return out;
}

function isIntType(dt: number): boolean {
  return dt !== DataType.FLOAT && dt !== DataType.DOUBLE && dt !== DataType.FLOAT16 && dt !== DataType.BFLOAT16;
}

export function transposeTensor(t: Tensor, perm: number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]);
  const si = stridesOf(t.dims);
  const so = stridesOf(dims);
  const out = makeTensor(t.dataType, dims);
  for (let i = 0; i < out.data.length; i++) {
    let rem = i;
    let src = 0;
    for (let k = 0; k < dims.length; k++) {
      const c = Math.floor(rem / so[k]);
      rem -= c * so[k];
      src += c * si[perm[k]];
    }
    out.data[i] = t.data[src];
  }
  return out;
}

export function sliceTensor(t: Tensor, axes: SliceAxis[]): Tensor {
  const start = t.dims.map(() => 0);
  const step = t.dims.map(() => 1);
  const dims = [...t.dims];
  for (const a of axes) {
    start[a.axis] = a.start;
    step[a.axis] = a.step;
    dims[a.axis] = a.count;
  }
  const si = stridesOf(t.dims);
  const so = stridesOf(dims);
  const out = makeTensor(t.dataType, dims);
  for (let i = 0; i < out.data.length; i++) {
    let rem = i;
    let src = 0;
    for (let k = 0; k < dims.length; k++) {
      const c = Math.floor(rem / so[k]);
      rem -= c * so[k];
      src += (start[k] + c * step[k]) * si[k];
    }
    out.data[i] = t.data[src];
  }
  return out;
}

function concatTensors(ts: Tensor[], axis: number): Tensor {
  const dims = [...ts[0].dims];
  dims[axis] = ts.reduce((s, t) => s + t.dims[axis], 0);
  const out = makeTensor(ts[0].dataType, dims);
  const outer = numel(dims.slice(0, axis));
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const block = numel(t.dims.slice(axis));
      out.data.set(t.data.subarray(o * block, (o + 1) * block), off);
      off += block;
    }
  }
  return out;
}

function gatherTensor(t: Tensor, idx: Tensor, axis: number): Tensor {
  const d = t.dims[axis];
  const dims = [...t.dims.slice(0, axis), ...idx.dims, ...t.dims.slice(axis + 1)];
  const outer = numel(t.dims.slice(0, axis));
  const inner = numel(t.dims.slice(axis + 1));
  const out = makeTensor(t.dataType, dims);
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idx.data.length; j++) {
      let k = idx.data[j];
      if (k < 0) k += d;
      if (k < 0 || k >= d) throw new UserError(`Gather index ${idx.data[j]} out of range for axis of size ${d}`);
      out.data.set(t.data.subarray((o * d + k) * inner, (o * d + k + 1) * inner), off);
      off += inner;
    }
  }
  return out;
}

function withDims(t: Tensor, dims: number[]): Tensor {
  return { dataType: t.dataType, dims, data: t.data };
}

function castTo(t: Tensor, to: number): Tensor {
  const dt = to as DataTypeCode;
  const data = allocData(dt, t.data.length);
  const round = isIntType(dt) && !isIntType(t.dataType);
  for (let i = 0; i < data.length; i++) data[i] = round ? Math.trunc(t.data[i]) : t.data[i];
  return { dataType: dt, dims: [...t.dims], data };
}

/** Axes given as an attribute (older opsets) or as the second input (newer ones). */
function axesArg(n: OnnxNode, input: Tensor | undefined): number[] | undefined {
  return attrInts(n, 'axes') ?? (input ? Array.from(input.data) : undefined);
}

export function unsqueezeDims(dims: readonly number[], axes: number[], n?: OnnxNode): number[] {
  const r = dims.length + axes.length;
  const norm = axes.map((a) => normAxis(a, r, n)).sort((a, b) => a - b);
  const out = [...dims];
  for (const a of norm) out.splice(a, 0, 1);
  return out;
}

export function squeezeDims(dims: readonly number[], axes: number[] | undefined, n?: OnnxNode): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const norm = new Set(axes.map((a) => normAxis(a, dims.length, n)));
  return dims.filter((_, i) => !norm.has(i));
}

export function flattenDims(dims: readonly number[], axis: number): number[] {
  const a = axis < 0 ? axis + dims.length : axis;
  return [numel(dims.slice(0, a)), numel(dims.slice(a))];
}

/** The value of a Constant node from whichever value attribute it carries. */
function constantValue(n: OnnxNode): Tensor {
  const t = attrTensor(n, 'value');
  if (t) return t;
  const a = n.attrs;
  const vf = a.get('value_float');
  if (vf && vf.kind === 'float') return makeTensor(DataType.FLOAT, [], [vf.value]);
  const vfs = a.get('value_floats');
  if (vfs && vfs.kind === 'floats') return makeTensor(DataType.FLOAT, [vfs.value.length], vfs.value);
  const vi = a.get('value_int');
  if (vi && vi.kind === 'int') return makeTensor(DataType.INT64, [], [vi.value]);
  const vis = a.get('value_ints');
  if (vis && vis.kind === 'ints') return makeTensor(DataType.INT64, [vis.value.length], vis.value);
  throw new UserError(`Constant node ${nodeLabel(n)} has no value attribute this toolkit reads (value, value_float(s), value_int(s))`);
}

type Inputs = (Tensor | undefined)[];

const BINARY: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
  Pow: (x, y) => x ** y,
  Max: (x, y) => Math.max(x, y),
  Min: (x, y) => Math.min(x, y),
  Mod: (x, y) => x - y * Math.floor(x / y),
};
const COMPARE: Record<string, (x: number, y: number) => boolean> = {
  Equal: (x, y) => x === y,
  Less: (x, y) => x < y,
  Greater: (x, y) => x > y,
  LessOrEqual: (x, y) => x <= y,
  GreaterOrEqual: (x, y) => x >= y,
};
const UNARY: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Relu: (x) => Math.max(0, x),
  Exp: Math.exp,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Not: (x) => (x ? 0 : 1),
};

/** Ops evalConstOp knows (beyond the elementwise tables). */
export const CONST_EVAL_OPS = [
  'Constant', 'Identity', 'Cast', 'ConstantOfShape', 'Shape', 'Size', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat',
  'Reshape', 'Flatten', 'Slice', 'Transpose', 'Range', 'Where', 'Expand',
  ...Object.keys(BINARY), ...Object.keys(COMPARE), ...Object.keys(UNARY),
];

/**
 * Output values of node `n` given its input values (undefined = unknown or omitted), or undefined when the
 * op is not one this evaluator knows, an input it needs is unknown, or the result would exceed maxElements.
 */
export function evalConstOp(n: OnnxNode, inp: Inputs, opset: number, maxElements = 1 << 20): Tensor[] | undefined {
  if (n.domain && n.domain !== 'ai.onnx') return undefined;
  const x = inp[0];
  const big = (dims: number[]): boolean => numel(dims) > maxElements;
  const op = n.opType;
  if (op === 'Constant') return [constantValue(n)];
  if (op === 'ConstantOfShape') {
    if (!x) return undefined;
    const dims = Array.from(x.data);
    if (big(dims)) return undefined;
    const v = attrTensor(n, 'value') ?? makeTensor(DataType.FLOAT, [1], [0]);
    const out = makeTensor(v.dataType, dims);
    out.data.fill(v.data[0] ?? 0);
    return [out];
  }
  if (op === 'Range') {
    const [s, l, d] = inp;
    if (!s || !l || !d) return undefined;
    const cnt = Math.max(Math.ceil((l.data[0] - s.data[0]) / d.data[0]), 0);
    if (cnt > maxElements) return undefined;
    const out = makeTensor(s.dataType, [cnt]);
    for (let i = 0; i < cnt; i++) out.data[i] = s.data[0] + i * d.data[0];
    return [out];
  }
  if (!x) return undefined;
  if (op === 'Shape') {
    const r = x.dims.length;
    let start = attrInt(n, 'start', 0);
    let end = attrInt(n, 'end', r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    const dims = x.dims.slice(Math.max(0, start), Math.min(r, end));
    return [makeTensor(DataType.INT64, [dims.length], dims)];
  }
  if (op === 'Size') return [makeTensor(DataType.INT64, [], [numel(x.dims)])];
  if (op === 'Identity') return [x];
  if (op === 'Cast') return [castTo(x, attrInt(n, 'to', x.dataType))];
  if (op in UNARY) {
    const f = UNARY[op];
    const out = makeTensor(x.dataType, x.dims);
    for (let i = 0; i < out.data.length; i++) out.data[i] = f(x.data[i]);
    return [out];
  }
  if (op in BINARY || op in COMPARE) {
    const ys = inp.slice(1);
    if (ys.length === 0 || ys.some((y) => !y)) return undefined;
    let acc: Tensor | undefined = x;
    for (const y of ys as Tensor[]) {
      if (!acc) return undefined;
      const dims = broadcastDims(acc.dims, y.dims);
      if (!dims || big(dims)) return undefined;
      if (op in COMPARE) {
        const c = COMPARE[op];
        acc = binary(acc, y, (p, q) => (c(p, q) ? 1 : 0), DataType.BOOL);
      } else {
        const f = BINARY[op];
        const intDiv = op === 'Div' && isIntType(acc.dataType);
        acc = binary(acc, y, intDiv ? (p, q) => Math.trunc(p / q) : f);
      }
    }
    return acc ? [acc] : undefined;
  }
  if (op === 'Where') {
    const [c, a, b] = inp;
    if (!c || !a || !b) return undefined;
    const ab = broadcastDims(a.dims, b.dims);
    const dims = ab && broadcastDims(c.dims, ab);
    if (!dims || big(dims)) return undefined;
    const ic = indexer(c.dims, dims);
    const ia = indexer(a.dims, dims);
    const ib = indexer(b.dims, dims);
    const out = makeTensor(a.dataType, dims);
    for (let i = 0; i < out.data.length; i++) out.data[i] = c.data[ic(i)] ? a.data[ia(i)] : b.data[ib(i)];
    return [out];
  }
  if (op === 'Expand') {
    const s = inp[1];
    if (!s) return undefined;
    const dims = broadcastDims(x.dims, Array.from(s.data));
    if (!dims || big(dims)) return undefined;
    const out = binary(x, makeTensor(x.dataType, dims), (p) => p);
    return out ? [out] : undefined;
  }
  if (op === 'Gather') {
    const idx = inp[1];
    if (!idx) return undefined;
    const axis = normAxis(attrInt(n, 'axis', 0), x.dims.length, n);
    return [gatherTensor(x, idx, axis)];
  }
  if (op === 'Unsqueeze') {
    const axes = axesArg(n, inp[1]);
    if (!axes) return undefined;
    return [withDims(x, unsqueezeDims(x.dims, axes, n))];
  }
  if (op === 'Squeeze') {
    const axes = axesArg(n, inp[1]);
    return [withDims(x, squeezeDims(x.dims, axes, n))];
  }
  if (op === 'Flatten') return [withDims(x, flattenDims(x.dims, attrInt(n, 'axis', 1)))];
  if (op === 'Reshape') {
    const target = opset < 5 ? attrInts(n, 'shape') : inp[1] ? Array.from(inp[1].data) : undefined;
    if (!target) return undefined;
    return [withDims(x, reshapeDims(x.dims, target, attrInt(n, 'allowzero', 0) === 1, n))];
  }
  if (op === 'Concat') {
    if (inp.some((t) => !t)) return undefined;
    const ts = inp as Tensor[];
    const axis = normAxis(attrInt(n, 'axis', 0), x.dims.length, n);
    return [concatTensors(ts, axis)];
  }
  if (op === 'Transpose') {
    const perm = attrInts(n, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
    return [transposeTensor(x, perm)];
  }
  if (op === 'Slice') {
    const args = sliceArgs(n, inp, opset);
    if (!args) return undefined;
    return [sliceTensor(x, sliceAxes(x.dims, args.starts, args.ends, args.axes, args.steps, n))];
  }
  return undefined;
}

/** Slice parameters from attributes (opset < 10) or constant inputs; undefined if an input is unknown. */
export function sliceArgs(n: OnnxNode, inp: Inputs, opset: number): { starts: number[]; ends: number[]; axes?: number[]; steps?: number[] } | undefined {
  if (opset < 10) {
    const starts = attrInts(n, 'starts');
    const ends = attrInts(n, 'ends');
    if (!starts || !ends) throw new UserError(`Slice node ${nodeLabel(n)} lacks starts/ends attributes`);
    return { starts, ends, axes: attrInts(n, 'axes') };
  }
  const vals = (k: number): number[] | undefined => (inp[k] ? Array.from((inp[k] as Tensor).data) : undefined);
  const starts = vals(1);
  const ends = vals(2);
  if (!starts || !ends) return undefined;
  if (n.inputs[3] && !inp[3]) return undefined;
  if (n.inputs[4] && !inp[4]) return undefined;
  return { starts, ends, axes: vals(3), steps: vals(4) };
}
