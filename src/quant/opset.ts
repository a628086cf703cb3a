// Raising a model's default-domain opset (QDQ needs 13 for per-channel DequantizeLinear, 21 for int4). Most
// ops keep their meaning across versions; the ones that moved an attribute to an input are rewritten, and
// ops whose semantics changed in ways that cannot be rewritten locally are refused by name.
import { UserError } from '../errors.js';
import { type AttrValue, decodeAttribute } from '../onnx/attr.js';
import { makeInitializer } from '../onnx/build.js';
import { type ModelProto, type INodeProto, type ITensorProto, defaultOpset, int64ToNumber, onnx } from '../onnx/proto.js';
import { type Tensor, floatTensor, int64Tensor } from '../onnx/tensor.js';

/** The oldest opset this converter starts from (older versions changed too many ops). */
export const MIN_SOURCE_OPSET = 7;

interface MovedAttr {
  attr: string;
  input: number;
  /** Element type of the new input, and whether a single value becomes a scalar tensor. */
  type: 'int64' | 'float';
  scalar?: boolean;
}

/** Ops whose attributes became inputs at `since`. */
const MOVES: { op: string; since: number; moves: MovedAttr[] }[] = [
  { op: 'Slice', since: 10, moves: [{ attr: 'starts', input: 1, type: 'int64' }, { attr: 'ends', input: 2, type: 'int64' }, { attr: 'axes', input: 3, type: 'int64' }] },
  { op: 'TopK', since: 10, moves: [{ attr: 'k', input: 1, type: 'int64' }] },
  { op: 'Clip', since: 11, moves: [{ attr: 'min', input: 1, type: 'float', scalar: true }, { attr: 'max', input: 2, type: 'float', scalar: true }] },
  { op: 'Pad', since: 11, moves: [{ attr: 'pads', input: 1, type: 'int64' }, { attr: 'value', input: 2, type: 'float', scalar: true }] },
  { op: 'Dropout', since: 12, moves: [{ attr: 'ratio', input: 1, type: 'float', scalar: true }] },
  { op: 'Squeeze', since: 13, moves: [{ attr: 'axes', input: 1, type: 'int64' }] },
  { op: 'Unsqueeze', since: 13, moves: [{ attr: 'axes', input: 1, type: 'int64' }] },
  { op: 'Split', since: 13, moves: [{ attr: 'split', input: 1, type: 'int64' }] },
  { op: 'ReduceSum', since: 13, moves: [{ attr: 'axes', input: 1, type: 'int64' }] },
  ...['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']
    .map((op) => ({ op, since: 18, moves: [{ attr: 'axes', input: 1, type: 'int64' as const }] })),
];

/** Ops whose meaning changed at `since` in a way a local rewrite cannot express. */
const REFUSED: { op: string; since: number; why: string }[] = [
  { op: 'Upsample', since: 10, why: 'Upsample is deprecated from opset 10 (replace it with Resize)' },
  { op: 'Resize', since: 11, why: 'Resize changed its coordinate transformation at opset 11' },
  { op: 'GroupNormalization', since: 21, why: 'GroupNormalization changed its scale/bias shapes at opset 21' },
];

function uniqueNamer(model: ModelProto): (base: string) => string {
  const g = model.graph;
  const used = new Set<string>();
  for (const t of g?.initializer ?? []) used.add(t.name ?? '');
  for (const n of g?.node ?? []) for (const x of [...(n.input ?? []), ...(n.output ?? [])]) used.add(x);
  for (const v of [...(g?.input ?? []), ...(g?.output ?? [])]) used.add(v.name ?? '');
  return (base) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}

function attrTensor(v: AttrValue, m: MovedAttr, where: string): Tensor {
  const values = v.kind === 'ints' || v.kind === 'floats' ? v.value : v.kind === 'int' || v.kind === 'float' ? [v.value] : undefined;
  if (!values) throw new UserError(`${where}: attribute '${m.attr}' has an unexpected kind (${v.kind})`);
  const dims = m.scalar && values.length === 1 ? [] : [values.length];
  return m.type === 'int64' ? int64Tensor(dims, values) : floatTensor(dims, values);
}

/**
 * Rewrites `model` in place to default-domain opset `target` (no-op when it is already at least that).
 * Throws a UserError naming the first op that cannot be converted.
 */
export function raiseOpset(model: ModelProto, target: number): void {
  const from = defaultOpset(model);
  if (from >= target) return;
  if (from < MIN_SOURCE_OPSET) throw new UserError(`cannot convert an opset ${from} model to opset ${target}: models older than opset ${MIN_SOURCE_OPSET} are not supported`);
  const g = model.graph;
  if (!g) throw new UserError('ONNX model has no graph');
  const unique = uniqueNamer(model);
  const added: ITensorProto[] = [];
  (g.node ?? []).forEach((n: INodeProto, index) => {
    if (n.domain && n.domain !== 'ai.onnx') return;
    const op = n.opType ?? '';
    const where = `node '${n.name || `${op}_${index}`}' (${op})`;
    for (const r of REFUSED) {
      if (r.op === op && from < r.since && target >= r.since) {
        throw new UserError(`cannot raise the model from opset ${from} to ${target}: ${where}: ${r.why}`);
      }
    }
    for (const rule of MOVES) {
      if (rule.op !== op || from >= rule.since || target < rule.since) continue;
      const attrs = n.attribute ?? [];
      const inputs = [...(n.input ?? [])];
      for (const m of rule.moves) {
        const a = attrs.find((x) => x.name === m.attr);
        if (!a) continue;
        const t = attrTensor(decodeAttribute(a), m, where);
        const name = unique(`${n.name || op}_${m.attr}`);
        added.push(makeInitializer(name, t));
        while (inputs.length < m.input) inputs.push('');
        inputs[m.input] = name;
      }
      n.input = inputs;
      n.attribute = attrs.filter((x) => !rule.moves.some((m) => m.attr === x.name));
    }
    // Split-18 wants the number of outputs stated when no split sizes are given.
    if (op === 'Split' && target >= 18 && !(n.input ?? [])[1] && !(n.attribute ?? []).some((a) => a.name === 'num_outputs')) {
      n.attribute = [...(n.attribute ?? []), onnx.AttributeProto.create({ name: 'num_outputs', type: onnx.AttributeProto.AttributeType.INT, i: (n.output ?? []).length })];
    }
  });
  g.initializer = [...(g.initializer ?? []), ...added];
  for (const o of model.opsetImport) {
    if (!o.domain || o.domain === 'ai.onnx') o.version = target;
  }
  if (!model.opsetImport.some((o) => !o.domain || o.domain === 'ai.onnx')) {
    model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: '', version: target }));
  }
  const minIr = target >= 21 ? 10 : target >= 19 ? 9 : target >= 15 ? 8 : 7;
  if (int64ToNumber(model.irVersion) < minIr) model.irVersion = minIr;
}
