// The link from an integer layer to the compute layer of the network IR it implements. Both sides name layers
// alike (the ONNX node's name, or the IR's label for an unnamed node); the names are resolved here once, and
// everything after holds the IR index, so a layer without an IR counterpart is one clear error up front.
import { UserError } from '../errors.js';
import { type ComputeLayer, type Network, isComputeLayer } from '../model/ir.js';

/** A compute layer of a network IR and its index in `network.layers`. */
export interface IrRef {
  index: number;
  layer: ComputeLayer;
}

/**
 * The IR compute layer of each name, in order. `what` names the owner of the names in the error, e.g.
 * "quantized layer" or "'model.hwq' layer 3".
 */
export function linkToIr(net: Network, names: readonly string[], what: (i: number) => string): IrRef[] {
  const byName = new Map<string, IrRef>();
  net.layers.forEach((layer, index) => {
    if (isComputeLayer(layer) && !byName.has(layer.name)) byName.set(layer.name, { index, layer });
  });
  return names.map((name, i) => {
    const ref = byName.get(name);
    if (!ref) {
      const some = [...byName.keys()].slice(0, 8).join(', ');
      throw new UserError(`${what(i)} '${name}' is not a compute layer of the network IR of ${net.name} (IR layers: ${some}${byName.size > 8 ? '...' : ''})`);
    }
    return ref;
  });
}
