// A typed, read-only view of an ONNX graph: nodes with decoded attributes, who produces and who consumes each
// tensor, initializers decoded on demand, and a topological order. Shape and value analysis live in
// shapes.ts and eval.ts; this module only describes the graph as stored.
import { UserError } from '../errors.js';
import { decodeAttribute } from './attr.js';
import { type OnnxNode, nodeLabel } from './node.js';
import { type IModelProto, type IValueInfoProto, type Int64, defaultOpset, int64ToNumber, type ITensorProto } from './proto.js';
import { type Tensor, tensorFromProto } from './tensor.js';
import { evalConstOp } from './eval.js';

export { type OnnxNode, attrFloat, attrInt, attrInts, attrString, attrTensor, nodeLabel } from './node.js';

/** A graph input or output: element type and dims (a number, a symbolic name, or undefined when unknown). */
export interface ValueInfo {
  name: string;
  elemType: number;
  dims: (number | string | undefined)[] | undefined;
}

export function decodeValueInfo(v: IValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  // dim_value and dim_param are a oneof; an unset dim_value reads as 0, so 0 means "not a fixed size".
  const dim = (d: { dimValue?: Int64 | null; dimParam?: string | null }): number | string | undefined => {
    const n = int64ToNumber(d.dimValue);
    return n > 0 ? n : d.dimParam || undefined;
  };
  const dims = tt?.shape ? (tt.shape.dim ?? []).map(dim) : undefined;
  return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims };
}

export class GraphView {
  readonly nodes: OnnxNode[];
  /** Graph inputs that are not initializers: the data the model is fed. */
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  readonly opset: number;
  private readonly initProtos = new Map<string, ITensorProto>();
  private readonly initCache = new Map<string, Tensor>();
  private readonly producers = new Map<string, OnnxNode>();
  private readonly consumerMap = new Map<string, OnnxNode[]>();

  constructor(readonly model: IModelProto) {
    const g = model.graph;
    if (!g) throw new UserError('ONNX model has no graph');
    this.opset = defaultOpset(model);
    for (const t of g.initializer ?? []) this.initProtos.set(t.name ?? '', t);
    this.inputs = (g.input ?? []).filter((v) => !this.initProtos.has(v.name ?? '')).map(decodeValueInfo);
    this.outputs = (g.output ?? []).map(decodeValueInfo);
    this.nodes = (g.node ?? []).map((n, index) => ({
      index,
      name: n.name ?? '',
      opType: n.opType ?? '',
      domain: n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs: new Map((n.attribute ?? []).map((a) => [a.name ?? '', decodeAttribute(a)])),
    }));
    for (const n of this.nodes) {
      for (const o of n.outputs) if (o) this.producers.set(o, n);
      for (const i of new Set(n.inputs)) {
        if (!i) continue;
        const list = this.consumerMap.get(i);
        if (list) list.push(n);
        else this.consumerMap.set(i, [n]);
      }
    }
  }

  producer(tensor: string): OnnxNode | undefined {
    return this.producers.get(tensor);
  }

  consumers(tensor: string): OnnxNode[] {
    return this.consumerMap.get(tensor) ?? [];
  }

  isGraphOutput(tensor: string): boolean {
    return this.outputs.some((o) => o.name === tensor);
  }

  hasInitializer(name: string): boolean {
    return this.initProtos.has(name);
  }

  /** Dims of an initializer without decoding its values. */
  initializerDims(name: string): number[] | undefined {
    const p = this.initProtos.get(name);
    return p ? (p.dims ?? []).map((d) => int64ToNumber(d as Int64)) : undefined;
  }

  /** Data type code of an initializer without decoding its values. */
  initializerType(name: string): number | undefined {
    return this.initProtos.get(name)?.dataType ?? undefined;
  }

  initializerNames(): string[] {
    return [...this.initProtos.keys()];
  }

  /** The decoded initializer, or undefined when `name` is not one. */
  initializer(name: string): Tensor | undefined {
    const hit = this.initCache.get(name);
    if (hit) return hit;
    const p = this.initProtos.get(name);
    if (!p) return undefined;
    const t = tensorFromProto(p);
    this.initCache.set(name, t);
    return t;
  }

  /** Nodes ordered so every producer comes before its consumers (stored order is kept where it already is). */
  topoOrder(): OnnxNode[] {
    const known = new Set<string>([...this.initProtos.keys(), ...this.inputs.map((i) => i.name), '']);
    const pending = new Map<OnnxNode, number>();
    const waiting = new Map<string, OnnxNode[]>();
    const ready: OnnxNode[] = [];
    for (const n of this.nodes) {
      const missing = new Set(n.inputs.filter((i) => !known.has(i) && this.producers.has(i)));
      for (const i of missing) {
        const list = waiting.get(i);
        if (list) list.push(n);
        else waiting.set(i, [n]);
      }
      pending.set(n, missing.size);
      if (missing.size === 0) ready.push(n);
    }
    const order: OnnxNode[] = [];
    // A min-heap on the stored index would be tidier; graphs are small enough for a sorted insert.
    while (ready.length) {
      ready.sort((a, b) => a.index - b.index);
      const n = ready.shift() as OnnxNode;
      order.push(n);
      for (const o of n.outputs) {
        for (const c of waiting.get(o) ?? []) {
          const left = (pending.get(c) ?? 0) - 1;
          pending.set(c, left);
          if (left === 0) ready.push(c);
        }
        waiting.delete(o);
      }
    }
    if (order.length !== this.nodes.length) {
      const stuck = this.nodes.filter((n) => !order.includes(n)).slice(0, 3).map(nodeLabel);
      throw new UserError(`ONNX graph has a cycle or an input no node produces (stuck at ${stuck.join(', ')})`);
    }
    return order;
  }

  /**
   * Values of every tensor computable from initializers and Constant nodes alone (index and shape arithmetic,
   * constant weights). Ops the evaluator does not know, and results larger than `maxElements`, stay unknown.
   */
  foldConstants(maxElements = 1 << 20): Map<string, Tensor> {
    const values = new Map<string, Tensor>();
    for (const name of this.initProtos.keys()) values.set(name, this.initializer(name) as Tensor);
    for (const n of this.topoOrder()) {
      if (n.inputs.some((i) => i !== '' && !values.has(i))) continue;
      const outs = evalConstOp(n, n.inputs.map((i) => (i === '' ? undefined : values.get(i))), this.opset, maxElements);
      if (!outs) continue;
      outs.forEach((t, k) => {
        if (t && n.outputs[k]) values.set(n.outputs[k], t);
      });
    }
    return values;
  }
}
