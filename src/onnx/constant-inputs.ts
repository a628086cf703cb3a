// Initializers that are also listed as graph inputs. IR 3 required every initializer to be a graph input, so
// older exporters list each weight as one; hwq never feeds them, so they are constants: a model is read with
// such inputs dropped, and every model written from it lists only the data it is fed.
import { type IModelProto, int64ToNumber } from './schema.js';

/** Drops graph inputs an initializer of the same name backs, in place; returns how many. */
export function dropConstantInputs(model: IModelProto): number {
  const g = model.graph;
  if (!g?.input?.length || !g.initializer?.length) return 0;
  const constants = new Set(g.initializer.map((t) => t.name ?? ''));
  const kept = g.input.filter((v) => !constants.has(v.name ?? ''));
  const dropped = g.input.length - kept.length;
  if (dropped === 0) return 0;
  g.input = kept;
  // IR 4 is the first version whose initializers need not be graph inputs.
  if (int64ToNumber(model.irVersion) < 4) model.irVersion = 4;
  return dropped;
}
