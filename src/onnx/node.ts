// One ONNX node with its attributes decoded, and typed attribute getters that fail with a message naming
// the node when an attribute has the wrong kind.
import { UserError } from '../errors.js';
import type { AttrValue } from './attr.js';
import type { Tensor } from './tensor.js';

export interface OnnxNode {
  /** Position in the stored node list (stable, used for default names). */
  index: number;
  /** The stored name, possibly empty. */
  name: string;
  opType: string;
  domain: string;
  /** Input tensor names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
}

/** `<OpType>_<index>` for unnamed nodes, as the IR and error messages call them. */
export function nodeLabel(n: OnnxNode): string {
  return n.name || `${n.opType}_${n.index}`;
}

export function attrInt(n: OnnxNode, name: string, dflt: number): number {
  const a = n.attrs.get(name);
  if (!a) return dflt;
  if (a.kind !== 'int') throw new UserError(`node ${nodeLabel(n)}: attribute '${name}' should be an int`);
  return a.value;
}

export function attrFloat(n: OnnxNode, name: string, dflt: number): number {
  const a = n.attrs.get(name);
  if (!a) return dflt;
  if (a.kind !== 'float' && a.kind !== 'int') throw new UserError(`node ${nodeLabel(n)}: attribute '${name}' should be a float`);
  return a.value;
}

export function attrInts(n: OnnxNode, name: string): number[] | undefined {
  const a = n.attrs.get(name);
  if (!a) return undefined;
  if (a.kind === 'ints') return a.value;
  if (a.kind === 'int') return [a.value];
  throw new UserError(`node ${nodeLabel(n)}: attribute '${name}' should be a list of ints`);
}

export function attrString(n: OnnxNode, name: string, dflt: string): string {
  const a = n.attrs.get(name);
  if (!a) return dflt;
  if (a.kind !== 'string') throw new UserError(`node ${nodeLabel(n)}: attribute '${name}' should be a string`);
  return a.value;
}

export function attrTensor(n: OnnxNode, name: string): Tensor | undefined {
  const a = n.attrs.get(name);
  if (!a) return undefined;
  if (a.kind !== 'tensor') throw new UserError(`node ${nodeLabel(n)}: attribute '${name}' should be a tensor`);
  return a.value;
}
