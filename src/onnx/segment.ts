// A piece of a graph as a model of its own: the nodes that compute some tensors from others already known. The
// layer-by-layer quantizer uses it to move its calibration data one layer on at a time (from the inputs of
// earlier layers, kept in memory) instead of running the network from the image for every layer: the same nodes
// run on the same values, so the results are the same, at a cost linear in the depth instead of quadratic.
import { makeValueInfo } from './build.js';
import { GraphView } from './graph.js';
import type { IModelProto } from './proto.js';
import { DataType } from './tensor.js';

export interface Segment {
  /** The sub-model: graph inputs `inputs` (float, shapes left open), graph outputs `outputs`. */
  model: IModelProto;
  /** The known tensors the segment reads, in a fixed order. */
  inputs: string[];
}

/**
 * The tensors among `known` that computing `outputs` reaches when walking back from them: what a segment from
 * `known` to `outputs` reads. A tensor that is neither known, an initializer nor produced by a node is an error.
 */
export function segmentInputs(view: GraphView, known: ReadonlySet<string>, outputs: readonly string[]): { inputs: string[]; nodes: Set<number> } {
  const inputs = new Set<string>();
  const nodes = new Set<number>();
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    if (t === '' || seen.has(t)) continue;
    seen.add(t);
    if (known.has(t)) {
      inputs.add(t);
      continue;
    }
    if (view.hasInitializer(t)) continue;
    const n = view.producer(t);
    if (!n) throw new Error(`internal: segment to ${outputs.join(', ')} needs '${t}', which nothing known, stored or computed provides`);
    if (nodes.has(n.index)) continue;
    nodes.add(n.index);
    stack.push(...n.inputs);
  }
  return { inputs: [...inputs].sort(), nodes };
}

/** The model computing `outputs` from the `known` tensors it needs (every one float32). */
export function extractSegment(model: IModelProto, known: ReadonlySet<string>, outputs: readonly string[]): Segment {
  const view = new GraphView(model);
  const { inputs, nodes } = segmentInputs(view, known, outputs);
  const g = model.graph!;
  const kept = (g.node ?? []).filter((_, i) => nodes.has(i));
  const used = new Set(kept.flatMap((n) => n.input ?? []));
  const graph = {
    ...g,
    node: kept,
    input: inputs.map((name) => makeValueInfo({ name, elemType: DataType.FLOAT })),
    output: outputs.map((name) => makeValueInfo({ name, elemType: DataType.FLOAT })),
    initializer: (g.initializer ?? []).filter((t) => used.has(t.name ?? '')),
    valueInfo: [],
  };
  // shallow: the weights stay shared with the caller's model
  return { model: { ...model, graph }, inputs };
}
