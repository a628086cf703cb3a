// Exposing intermediate tensors as extra graph outputs, so one runtime pass returns them (shape checks
// against the IR, and activation statistics for calibration).
import { UserError } from '../errors.js';
import { makeValueInfo } from './build.js';
import { type IModelProto, encodeModel } from './proto.js';
import { DataType } from './tensor.js';

/**
 * The model with `tensors` appended to its graph outputs (those already outputs are kept once), encoded.
 * Every name must be produced by a node or be a graph input. elemType applies to the added outputs.
 */
export function withOutputs(model: IModelProto, tensors: string[], elemType: number = DataType.FLOAT): Uint8Array {
  const g = model.graph;
  if (!g) throw new UserError('ONNX model has no graph');
  const known = new Set<string>([...(g.input ?? []).map((i) => i.name ?? ''), ...(g.node ?? []).flatMap((n) => n.output ?? [])]);
  const present = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const added = [];
  for (const t of new Set(tensors)) {
    if (!known.has(t)) throw new UserError(`cannot expose '${t}': no node or graph input produces it`);
    if (!present.has(t)) added.push(makeValueInfo({ name: t, elemType }));
  }
  // Shallow copies: the weights are shared with the caller's model, not duplicated.
  return encodeModel({ ...model, graph: { ...g, output: [...(g.output ?? []), ...added] } });
}
