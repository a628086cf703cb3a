// Graph rewrites leave nodes nobody reads (a weight's DequantizeLinear once the weight is folded, the scale
// product of a dynamically quantized layer) and initializers only those nodes read: both are dropped, so a
// rewritten model holds only what its outputs need.
import type { IGraphProto } from './proto.js';

/** Removes, in place, nodes none of whose outputs is read or a graph output, then unread initializers. */
export function pruneUnused(graph: IGraphProto): void {
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  let nodes = graph.node ?? [];
  for (;;) {
    const read = new Set([...outputs, ...nodes.flatMap((n) => n.input ?? [])]);
    const kept = nodes.filter((n) => (n.output ?? []).some((o) => o && read.has(o)));
    if (kept.length === nodes.length) break;
    nodes = kept;
  }
  graph.node = nodes;
  const read = new Set([...outputs, ...nodes.flatMap((n) => n.input ?? [])]);
  graph.initializer = (graph.initializer ?? []).filter((t) => read.has(t.name ?? ''));
}
