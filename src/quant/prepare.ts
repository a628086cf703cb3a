// Prepares a float ONNX model for quantization: names every node (so layer names survive graph edits and
// match the network IR), folds BatchNormalization into the preceding Conv, and finds every layer with
// constant weights (Conv incl. grouped/depthwise, Gemm, MatMul) with the tensors it reads and writes.
import { operatorFormQuantization } from '../model/onnx-ops.js';
import { UserError } from '../errors.js';
import { GraphView, attrFloat, attrInt, nodeLabel, type OnnxNode } from '../onnx/graph.js';
import { type IModelProto, type ModelProto, decodeModel, encodeModel } from '../onnx/proto.js';
import { DataType, floatTensor, tensorToProto, type Tensor } from '../onnx/tensor.js';
import type { LayerKind } from './types.js';

export interface LayerSite {
  name: string;
  kind: LayerKind;
  nodeName: string;
  inputTensor: string;
  outputTensor: string;
  weightName: string;
  weightShape: number[];
  channelAxis: number;
  /** Float weights in the initializer's layout. */
  weights: Float32Array;
  bias?: Float32Array;
  /** The input is the output of a ReLU/ReLU6-like op (through pooling and reshapes): quantize it unsigned. */
  unsignedInput: boolean;
}

export interface PreparedModel {
  model: ModelProto;
  layers: LayerSite[];
  foldedBatchNorms: number;
}

/** Ops a non-negative tensor stays non-negative through (zero padding included). */
const SIGN_PRESERVING = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Reshape', 'Flatten', 'Slice', 'Identity', 'Dropout', 'Squeeze', 'Unsqueeze', 'Transpose', 'Pad']);

function floatData(t: Tensor, what: string): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new UserError(`${what} has data type ${t.dataType}; the quantizer needs float32 weights`);
  return t.data as Float32Array;
}

/** Gives every unnamed node the label the network IR uses for it, so names stay stable across edits. */
function nameNodes(model: IModelProto): void {
  const view = new GraphView(model);
  const nodes = model.graph!.node ?? [];
  const used = new Set(nodes.map((n) => n.name).filter(Boolean));
  view.nodes.forEach((n, i) => {
    if (!nodes[i].name) {
      let label = nodeLabel(n);
      while (used.has(label)) label += '_';
      nodes[i].name = label;
      used.add(label);
    }
  });
}

/** Folds each BatchNormalization whose input is a Conv output read by nothing else. Returns how many. */
function foldBatchNorms(model: IModelProto): number {
  const g = model.graph!;
  let folded = 0;
  for (;;) {
    const view = new GraphView(model);
    const bn = view.nodes.find((n) => {
      if (n.opType !== 'BatchNormalization' || n.outputs.length > 1 && n.outputs.slice(1).some(Boolean)) return false;
      const conv = view.producer(n.inputs[0]);
      return !!conv && conv.opType === 'Conv' && view.consumers(n.inputs[0]).length === 1 && !view.isGraphOutput(n.inputs[0])
        && view.hasInitializer(conv.inputs[1]) && n.inputs.slice(1, 5).every((i) => view.hasInitializer(i))
        && view.nodes.filter((x) => x.inputs.includes(conv.inputs[1])).length === 1;
    });
    if (!bn) return folded;
    const conv = view.producer(bn.inputs[0]) as OnnxNode;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((i) => floatData(view.initializer(i)!, `BatchNormalization '${bn.name}' input '${i}'`));
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const w = view.initializer(conv.inputs[1])!;
    const wData = floatData(w, `Conv '${conv.name}' weight`);
    const oc = w.dims[0];
    const per = wData.length / oc;
    const bias = conv.inputs[2] ? floatData(view.initializer(conv.inputs[2])!, `Conv '${conv.name}' bias`) : new Float32Array(oc);
    const newW = new Float32Array(wData.length);
    const newB = new Float32Array(oc);
    for (let c = 0; c < oc; c++) {
      const k = gamma[c] / Math.sqrt(variance[c] + eps);
      for (let j = 0; j < per; j++) newW[c * per + j] = wData[c * per + j] * k;
      newB[c] = (bias[c] - mean[c]) * k + beta[c];
    }
    const wName = `${conv.name}.weight_bnfolded`;
    const bName = `${conv.name}.bias_bnfolded`;
    g.initializer = (g.initializer ?? []).filter((t) => t.name !== conv.inputs[1] && t.name !== conv.inputs[2]);
    g.initializer.push(tensorToProto(wName, floatTensor(w.dims, newW)), tensorToProto(bName, floatTensor([oc], newB)));
    const nodes = g.node ?? [];
    const convProto = nodes[conv.index];
    convProto.input = [conv.inputs[0], wName, bName];
    convProto.output = [bn.outputs[0]];
    g.node = nodes.filter((_, i) => i !== bn.index);
    // BN parameters no other node reads are dropped with it.
    const stillRead = new Set(g.node.flatMap((n) => n.input ?? []));
    g.initializer = g.initializer.filter((t) => stillRead.has(t.name ?? ''));
    folded++;
  }
}

function isNonNegative(view: GraphView, tensor: string, depth = 0): boolean {
  const p = view.producer(tensor);
  if (!p || depth > 64) return false;
  switch (p.opType) {
    case 'Relu':
    case 'Sigmoid':
    case 'Softmax':
      return true;
    case 'Clip': {
      const min = p.inputs[1] ? view.initializer(p.inputs[1])?.data[0] : attrFloat(p, 'min', -Infinity);
      return min !== undefined && min >= 0;
    }
    case 'Add':
    case 'Concat':
    case 'Max':
      return p.inputs.filter(Boolean).every((i) => view.hasInitializer(i) ? false : isNonNegative(view, i, depth + 1));
    default:
      return SIGN_PRESERVING.has(p.opType) && isNonNegative(view, p.inputs[0], depth + 1);
  }
}

function siteOf(view: GraphView, n: OnnxNode): LayerSite | undefined {
  const weightName = n.inputs[1];
  if (!weightName || !view.hasInitializer(weightName)) return undefined;
  const w = view.initializer(weightName)!;
  if (w.dataType !== DataType.FLOAT) return undefined;
  const base = {
    name: n.name, nodeName: n.name, inputTensor: n.inputs[0], outputTensor: n.outputs[0],
    weightName, weightShape: [...w.dims], weights: w.data as Float32Array,
    unsignedInput: isNonNegative(view, n.inputs[0]),
  };
  const biasOf = (name: string | undefined) => (name && view.hasInitializer(name) ? floatData(view.initializer(name)!, `bias '${name}'`) : undefined);
  if (n.opType === 'Conv') return { ...base, kind: 'conv', channelAxis: 0, bias: biasOf(n.inputs[2]) };
  if (n.opType === 'Gemm') {
    if (attrInt(n, 'transA', 0) !== 0 || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1 || w.dims.length !== 2) return undefined;
    const bias = biasOf(n.inputs[2]);
    const outC = attrInt(n, 'transB', 0) ? w.dims[0] : w.dims[1];
    if (n.inputs[2] && (!bias || bias.length !== outC)) return undefined; // broadcast biases stay float
    return { ...base, kind: 'fc', channelAxis: attrInt(n, 'transB', 0) ? 0 : 1, bias };
  }
  if (n.opType === 'MatMul' && w.dims.length === 2) return { ...base, kind: 'matmul', channelAxis: 1 };
  return undefined;
}

export function prepareModel(source: IModelProto, what: string): PreparedModel {
  const model = decodeModel(encodeModel(source), what); // a deep copy we may edit
  if (!model.graph) throw new UserError(`${what} has no graph`);
  nameNodes(model);
  const qop = operatorFormQuantization(model.graph.node ?? []);
  if (qop) throw new UserError(`${what}: op '${qop.op}' (node '${qop.node}') ${qop.why}`);
  const foldedBatchNorms = foldBatchNorms(model);
  const view = new GraphView(model);
  const layers = view.topoOrder().map((n) => siteOf(view, n)).filter((s): s is LayerSite => !!s);
  if (layers.length === 0) throw new UserError(`${what} has no quantizable layer (Conv, Gemm or MatMul with constant float weights)`);
  return { model, layers, foldedBatchNorms };
}
