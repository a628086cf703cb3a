// Node attributes as tagged values: JS numbers cannot say whether 1 is an INT or a FLOAT attribute, and ONNX
// runtimes reject the wrong one, so the tag travels with the value both when reading and when writing.
import { UserError } from '../errors.js';
import { type IAttributeProto, type Int64, int64ToNumber, onnx } from './proto.js';
import { type Tensor, tensorFromProto, tensorToProto } from './tensor.js';

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  /** Graphs and other kinds this toolkit never reads (kept so a node can be described, not interpreted). */
  | { kind: 'other'; value: number };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  tensor: (value: Tensor): AttrValue => ({ kind: 'tensor', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value: [...value] }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value: [...value] }),
  strings: (value: string[]): AttrValue => ({ kind: 'strings', value: [...value] }),
};

const T = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder();

export function decodeAttribute(a: IAttributeProto): AttrValue {
  switch (a.type) {
    case T.INT:
      return attr.int(int64ToNumber(a.i as Int64));
    case T.FLOAT:
      return attr.float(a.f ?? 0);
    case T.STRING:
      return attr.string(utf8.decode(a.s ?? new Uint8Array()));
    case T.TENSOR:
      if (!a.t) throw new UserError(`attribute '${a.name}' is a tensor attribute without a tensor`);
      return attr.tensor(tensorFromProto(a.t));
    case T.INTS:
      return attr.ints((a.ints ?? []).map((v) => int64ToNumber(v as Int64)));
    case T.FLOATS:
      return attr.floats([...(a.floats ?? [])]);
    case T.STRINGS:
      return attr.strings((a.strings ?? []).map((s) => utf8.decode(s)));
    default:
      return { kind: 'other', value: a.type ?? 0 };
  }
}

export function encodeAttribute(name: string, v: AttrValue): IAttributeProto {
  const enc = new TextEncoder();
  switch (v.kind) {
    case 'int':
      return { name, type: T.INT, i: v.value };
    case 'float':
      return { name, type: T.FLOAT, f: v.value };
    case 'string':
      return { name, type: T.STRING, s: enc.encode(v.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorToProto('', v.value) };
    case 'ints':
      return { name, type: T.INTS, ints: [...v.value] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...v.value] };
    case 'strings':
      return { name, type: T.STRINGS, strings: v.value.map((s) => enc.encode(s)) };
    case 'other':
      throw new Error(`attribute '${name}' of attribute type ${v.value} cannot be re-encoded`);
  }
}
