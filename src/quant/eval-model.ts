// The graph a QDQ model is evaluated with: every DequantizeLinear of a constant (the weights) replaced by the
// float tensor it computes (w_int * scale in float32, exactly what the node would output), while the
// activation Q/DQ pairs stay. onnxruntime can then run it at full optimization without fusing the weight
// dequantization into integer kernels, several times faster than the QDQ graph at 'basic', with the same
// arithmetic.
import { GraphView } from '../onnx/graph.js';
import { type IModelProto, type ModelProto, decodeModel, encodeModel, int64ToNumber } from '../onnx/proto.js';
import { floatTensor, tensorToProto } from '../onnx/tensor.js';

export function foldWeightDequantization(qdq: IModelProto): ModelProto {
  const model = decodeModel(encodeModel(qdq), 'QDQ model');
  const g = model.graph!;
  const view = new GraphView(model);
  const folded = new Set<number>();
  const added = [];
  for (const n of view.nodes) {
    if (n.opType !== 'DequantizeLinear' || !n.inputs.every((i) => i === '' || view.hasInitializer(i))) continue;
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
