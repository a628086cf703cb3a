// Building ModelProtos in code: small graphs for tests, and the node/initializer/value-info pieces the
// quantizer adds when it rewrites a model.
import { type AttrValue, encodeAttribute } from './attr.js';
import { type INodeProto, type ITensorProto, type IValueInfoProto, type ModelProto, onnx } from './proto.js';
import { DataType, type Tensor, tensorToProto } from './tensor.js';

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

/** A graph input or output: dims are numbers or symbolic names; omitted dims leave the shape unstated. */
export interface IoSpec {
  name: string;
  dims?: (number | string)[];
  elemType?: number;
}

export interface ModelSpec {
  inputs: IoSpec[];
  outputs: IoSpec[];
  nodes: NodeSpec[];
  initializers?: Record<string, Tensor>;
  /** Default-domain opset; 13 unless set. */
  opset?: number;
  /** 8 unless set (ONNX 1.10 era, readable by every current runtime). */
  irVersion?: number;
  graphName?: string;
  producer?: string;
}

export function makeNode(s: NodeSpec): INodeProto {
  return onnx.NodeProto.create({
    opType: s.op,
    input: [...s.inputs],
    output: [...s.outputs],
    name: s.name ?? '',
    domain: s.domain ?? '',
    attribute: Object.entries(s.attrs ?? {}).map(([k, v]) => onnx.AttributeProto.create(encodeAttribute(k, v))),
  });
}

export function makeValueInfo(io: IoSpec): IValueInfoProto {
  const shape = io.dims
    ? { dim: io.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
    : undefined;
  return onnx.ValueInfoProto.create({
    name: io.name,
    type: { tensorType: { elemType: io.elemType ?? DataType.FLOAT, ...(shape ? { shape } : {}) } },
  });
}

export function makeInitializer(name: string, t: Tensor): ITensorProto {
  return tensorToProto(name, t);
}

export function buildModel(spec: ModelSpec): ModelProto {
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producer ?? 'hwq',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: spec.graphName ?? 'graph',
      node: spec.nodes.map(makeNode),
      input: spec.inputs.map(makeValueInfo),
      output: spec.outputs.map(makeValueInfo),
      initializer: Object.entries(spec.initializers ?? {}).map(([k, t]) => makeInitializer(k, t)),
    },
  });
}
