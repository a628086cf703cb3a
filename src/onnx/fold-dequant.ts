// How every session runs a QDQ model, so that it computes the graph as written on any CPU:
// - each DequantizeLinear of a constant (the weights) is replaced by the float tensor it computes
//   (w_int * scale in float32, exactly what the node would output);
// - a graph that still quantizes activations runs with onnxruntime's graph optimizations off.
// Measured on an AVX2 machine (no VNNI): at 'basic' and above onnxruntime rewrites DequantizeLinear -> Conv
// into integer kernels whose u8 x s8 products saturate, and even with float weights it rewrites the
// activation Q/DQ -> Conv pattern (A4W4 outputs off by 10 %); with both measures the outputs equal a
// TypeScript forward pass of the integer model to 1e-6 (test/quant/pipeline.test.ts).
import { GraphView } from './graph.js';
import { type IModelProto, type ModelProto, decodeModel, encodeModel, int64ToNumber } from './proto.js';
import { floatTensor, tensorToProto } from './tensor.js';

/** Whether a node is a DequantizeLinear of constants only (a weight, not an activation). */
function foldable(view: GraphView, n: GraphView['nodes'][number]): boolean {
  return n.opType === 'DequantizeLinear' && n.inputs.every((i) => i === '' || view.hasInitializer(i));
}

/** Whether a graph quantizes activations (has QuantizeLinear nodes): it must run unoptimized. */
export function quantizesActivations(model: IModelProto): boolean {
  return (model.graph?.node ?? []).some((n) => n.opType === 'QuantizeLinear');
}

/** The model's bytes with its weight dequantization folded (the same bytes when there is none), and whether
 *  it must run with graph optimizations off. */
export function runnableModel(bytes: Uint8Array): { bytes: Uint8Array; unoptimized: boolean } {
  let model: ModelProto;
  try {
    model = decodeModel(bytes, 'model');
  } catch {
    return { bytes, unoptimized: false }; // not ONNX: onnxruntime says what is wrong with it
  }
  const view = new GraphView(model);
  const folded = view.nodes.some((n) => foldable(view, n)) ? encodeModel(foldWeightDequantization(model)) : bytes;
  return { bytes: folded, unoptimized: quantizesActivations(model) };
}

export function foldWeightDequantization(qdq: IModelProto): ModelProto {
  const model = decodeModel(encodeModel(qdq), 'QDQ model');
  const g = model.graph!;
  const view = new GraphView(model);
  const folded = new Set<number>();
  const added = [];
  for (const n of view.nodes) {
    if (!foldable(view, n)) continue;
    const x = view.initializer(n.inputs[0])!;
    const scale = view.initializer(n.inputs[1])!;
    const zero = n.inputs[2] ? view.initializer(n.inputs[2]) : undefined;
    const attr = n.attrs.get('axis');
    const rank = x.dims.length;
    const axis = scale.dims.length === 0 ? -1 : ((attr?.kind === 'int' ? attr.value : 1) + rank) % rank;
    const inner = axis < 0 ? 1 : x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const along = axis < 0 ? 1 : x.dims[axis];
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const c = axis < 0 ? 0 : Math.floor(i / inner) % along;
      const zp = zero ? Number(zero.data[zero.dims.length === 0 ? 0 : c]) : 0;
      out[i] = Math.fround((Number(x.data[i]) - zp) * Number(scale.data[axis < 0 ? 0 : c]));
    }
    added.push(tensorToProto(n.outputs[0], floatTensor(x.dims.map((d) => int64ToNumber(d)), out)));
    folded.add(n.index);
  }
  g.node = (g.node ?? []).filter((_, i) => !folded.has(i));
  const read = new Set(g.node.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []).filter((t) => read.has(t.name ?? '')), ...added];
  return model;
}
