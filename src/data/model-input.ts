// The model input a data set is laid out for: its declared dims and whether it is a channels-last image.
// Detection, for a 4-D input [N, a, b, c] (after --input-shape fills symbolic dims), first rule that applies:
//   1. every node reading the input (through Cast/Identity) is a Transpose with perm [0, 3, 1, 2]: channels last,
//      the form tf2onnx and keras2onnx export (NHWC input, transposed to NCHW for the first Conv)
//   2. a is a channel count (1, 3 or 4): channels first
//   3. c is a channel count (1, 3 or 4): channels last
//   4. otherwise channels first, the ONNX convention
// Rule 1 reads the graph, so it holds whatever the sizes; 2 and 3 catch inputs that are transposed further in.
// --layout overrides the detection.
import { GraphView, type OnnxNode } from '../onnx/graph.js';
import type { IModelProto } from '../onnx/proto.js';
import type { TensorLayout } from './preprocess.js';

export type Dim = number | string | undefined;

export interface ModelInput {
  name: string;
  /** Batch first; a string is a symbolic dim, undefined an unknown one. Undefined: the graph states no shape. */
  dims: Dim[] | undefined;
  /** Every reader of the input is a Transpose NHWC -> NCHW (rule 1 above). */
  transposedToNchw: boolean;
}

const CHANNEL_COUNTS = [1, 3, 4];
const PASS_THROUGH = new Set(['Cast', 'Identity']);

/** The data input `name` of `model` (its first data input when no name is given). */
export function modelInput(model: IModelProto, name?: string): ModelInput | undefined {
  const g = new GraphView(model);
  const input = name === undefined ? g.inputs[0] : g.inputs.find((i) => i.name === name);
  if (!input) return undefined;
  const rs = readers(g, input.name);
  return { name: input.name, dims: input.dims, transposedToNchw: rs.length > 0 && rs.every(isToNchw) };
}

/** The batch size a model exported with a fixed batch dimension takes (undefined: any). */
export function fixedBatchOf(input: Pick<ModelInput, 'dims'>): number | undefined {
  const n = input.dims?.[0];
  return typeof n === 'number' && n > 0 ? n : undefined;
}

/** The nodes that read `tensor`, looking through ops that only change its type. */
function readers(g: GraphView, tensor: string): OnnxNode[] {
  return g.consumers(tensor).flatMap((n) => (PASS_THROUGH.has(n.opType) && n.outputs[0] ? readers(g, n.outputs[0]) : [n]));
}

function isToNchw(n: OnnxNode): boolean {
  const perm = n.attrs.get('perm');
  return n.opType === 'Transpose' && perm?.kind === 'ints' && perm.value.join() === '0,3,1,2';
}

/** The layout of a 4-D image input by the rules above; `sample` is its dims without the batch. */
export function detectLayout(sample: readonly Dim[], transposedToNchw: boolean): TensorLayout {
  if (transposedToNchw) return 'nhwc';
  const isChannels = (d: Dim): boolean => typeof d === 'number' && CHANNEL_COUNTS.includes(d);
  if (isChannels(sample[0])) return 'nchw';
  return isChannels(sample[2]) ? 'nhwc' : 'nchw';
}

/**
 * Sets the per-sample dims of data input `name` to `sample` (the batch dim is left as it is), so that what
 * reads the graph's shapes (the network import behind .hwq files and reconstruction) sees fixed sizes. Mutates
 * and returns `model`; the caller has checked `sample` against the dims the model fixes.
 */
export function fixInputDims<M extends IModelProto>(model: M, name: string, sample: readonly number[]): M {
  const vi = model.graph?.input?.find((i) => i.name === name);
  const dims = vi?.type?.tensorType?.shape?.dim;
  if (!dims || dims.length !== sample.length + 1) return model;
  sample.forEach((d, i) => {
    dims[i + 1].dimValue = d;
    dims[i + 1].dimParam = null;
  });
  return model;
}
