// 1-D convolutions and pools (input [N, C, L], weights [M, C, K]) rewritten as the 2-D ops they are with a
// height of 1: Unsqueeze the input to [N, C, 1, L], run the 2-D op with [M, C, 1, K] weights and 2-D
// attributes, Squeeze the result back to [N, M, L']. The network IR, the simulator and the quantizer all
// speak 2-D convolution, so one rewrite at load time serves every command; the 2-D op keeps the 1-D node's
// name, so layer names are those of the file.
import { type AttrValue, attr } from './attr.js';
import { makeNode, type NodeSpec } from './build.js';
import { GraphView, type OnnxNode, nodeLabel } from './graph.js';
import { type INodeProto, type IModelProto, type ModelProto, decodeModel, encodeModel, onnx } from './proto.js';
import { pruneUnused } from './prune.js';
import { inferShapes } from './shapes.js';
import { int64Tensor, tensorToProto } from './tensor.js';

const WINDOW_POOLS = new Set(['MaxPool', 'AveragePool']);
const GLOBAL_POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool']);

/** Spatial attributes of a 1-D window op as their 2-D form (height: kernel 1, stride 1, no pad, no dilation). */
function attrs2d(n: OnnxNode): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of n.attrs) {
    if (v.kind === 'ints' && (k === 'kernel_shape' || k === 'strides' || k === 'dilations')) out[k] = attr.ints([1, ...v.value]);
    else if (v.kind === 'ints' && k === 'pads') out[k] = attr.ints([0, v.value[0], 0, v.value[1]]);
    else if (v.kind === 'ints' && k === 'output_shape') out[k] = attr.ints([1, ...v.value]);
    else out[k] = v;
  }
  return out;
}

/** Ranks of every tensor when shapes can be inferred (symbolic spatial dims may prevent it). */
function tensorRanks(g: GraphView): Map<string, number> {
  try {
    return new Map([...inferShapes(g).dims].map(([k, d]) => [k, d.length]));
  } catch {
    return new Map();
  }
}

/** Whether node `n` is a 1-D Conv or pool this rewrite turns into its 2-D form. */
function isOneD(g: GraphView, n: OnnxNode, ranks: Map<string, number>): boolean {
  if (n.domain && n.domain !== 'ai.onnx') return false;
  const k = n.attrs.get('kernel_shape');
  if (n.opType === 'Conv') {
    if (k?.kind === 'ints') return k.value.length === 1;
    return (g.initializerDims(n.inputs[1]) ?? weightDims(g, n.inputs[1]))?.length === 3 || ranks.get(n.inputs[0]) === 3;
  }
  if (WINDOW_POOLS.has(n.opType)) return k?.kind === 'ints' && k.value.length === 1;
  if (GLOBAL_POOLS.has(n.opType)) return ranks.get(n.inputs[0]) === 3;
  return false;
}

/** Dims of a weight that a DequantizeLinear of an initializer produces. */
function weightDims(g: GraphView, w: string): number[] | undefined {
  const p = g.producer(w);
  return p?.opType === 'DequantizeLinear' ? g.initializerDims(p.inputs[0]) : undefined;
}

/** Whether the model has a 1-D Conv or pool. */
export function hasConv1d(model: IModelProto): boolean {
  const g = new GraphView(model);
  const ranks = g.nodes.some((n) => GLOBAL_POOLS.has(n.opType)) ? tensorRanks(g) : new Map<string, number>();
  return g.nodes.some((n) => isOneD(g, n, ranks));
}

/** The model with every 1-D Conv and pool as Unsqueeze -> 2-D op -> Squeeze (the same model when there is none). */
export function conv1dAs2d(source: IModelProto): ModelProto {
  const model = decodeModel(encodeModel(source), 'model');
  const g = new GraphView(model);
  const ranks = g.nodes.some((n) => GLOBAL_POOLS.has(n.opType)) ? tensorRanks(g) : new Map<string, number>();
  if (!g.nodes.some((n) => isOneD(g, n, ranks))) return model;
  const graph = model.graph!;
  const axesAsInput = g.opset >= 13;
  const inits = graph.initializer ?? [];
  const taken = new Set([...g.nodes.flatMap((n) => [...n.inputs, ...n.outputs]), ...g.initializerNames(), ...g.inputs.map((i) => i.name)]);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  let axes = '';
  const axesArgs = (): { inputs: string[]; attrs: Record<string, AttrValue> } => {
    if (!axesAsInput) return { inputs: [], attrs: { axes: attr.ints([2]) } };
    if (!axes) {
      axes = fresh('conv1d_axes');
      inits.push(tensorToProto(axes, int64Tensor([1], [2])));
    }
    return { inputs: [axes], attrs: {} };
  };
  const unsqueeze = (x: string, name: string): { node: INodeProto; out: string } => {
    const out = fresh(`${x}/hw1`);
    const a = axesArgs();
    return { node: makeNode({ op: 'Unsqueeze', name: fresh(`${name}/unsqueeze`), inputs: [x, ...a.inputs], outputs: [out], attrs: a.attrs }), out };
  };
  /** The [M, C, 1, K] weight: a reshaped copy of a constant, or an Unsqueeze of a computed one. */
  const weight2d = (w: string, name: string, added: INodeProto[]): string => {
    const reshaped = (t: string): string | undefined => {
      const proto = inits.find((i) => i.name === t);
      if (!proto || (proto.dims ?? []).length !== 3) return undefined;
      const copy = onnx.TensorProto.decode(onnx.TensorProto.encode(proto).finish());
      const d = copy.dims;
      copy.dims = [d[0], d[1], 1, d[2]];
      copy.name = fresh(`${t}/hw1`);
      inits.push(copy);
      return copy.name;
    };
    const direct = reshaped(w);
    if (direct) return direct;
    const p = g.producer(w);
    if (p?.opType === 'DequantizeLinear') {
      // Keep the DequantizeLinear next to the Conv, so the weight's quantized type still states its bits.
      const q = reshaped(p.inputs[0]);
      if (q) {
        const out = fresh(`${w}/hw1`);
        const inputs = [q, ...p.inputs.slice(1)];
        added.push(makeNode({ op: 'DequantizeLinear', name: fresh(`${nodeLabel(p)}/hw1`), inputs, outputs: [out], attrs: Object.fromEntries(p.attrs) }));
        return out;
      }
    }
    const u = unsqueeze(w, name);
    added.push(u.node);
    return u.out;
  };
  const nodes: INodeProto[] = [];
  g.nodes.forEach((n, i) => {
    const proto = (graph.node ?? [])[i];
    if (!isOneD(g, n, ranks)) {
      nodes.push(proto);
      return;
    }
    const name = nodeLabel(n);
    const added: INodeProto[] = [];
    const x = unsqueeze(n.inputs[0], name);
    added.push(x.node);
    const inputs = [x.out, ...n.inputs.slice(1)];
    if (n.opType === 'Conv') inputs[1] = weight2d(n.inputs[1], name, added);
    const y = fresh(`${n.outputs[0]}/hw1`);
    const spec: NodeSpec = { op: n.opType, name, domain: n.domain, inputs, outputs: [y, ...n.outputs.slice(1)], attrs: attrs2d(n) };
    added.push(makeNode(spec));
    const a = axesArgs();
    added.push(makeNode({ op: 'Squeeze', name: fresh(`${name}/squeeze`), inputs: [y, ...a.inputs], outputs: [n.outputs[0]], attrs: a.attrs }));
    nodes.push(...added);
  });
  graph.node = nodes;
  graph.initializer = inits;
  pruneUnused(graph);
  return model;
}
