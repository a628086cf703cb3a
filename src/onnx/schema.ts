// The ONNX protobuf schema: the protobufjs classes of the `onnx-proto` package and their types. That package is
// CommonJS, so its one export object is the default import under Node's ESM interop. Kept apart from the model
// loader (proto.ts) so that the graph normalizations the loader applies can use the schema without a cycle.
import onnxPkg from 'onnx-proto';

export const onnx = onnxPkg.onnx;
export type ModelProto = onnxPkg.onnx.ModelProto;
export type IModelProto = onnxPkg.onnx.IModelProto;
export type GraphProto = onnxPkg.onnx.GraphProto;
export type IGraphProto = onnxPkg.onnx.IGraphProto;
export type NodeProto = onnxPkg.onnx.NodeProto;
export type INodeProto = onnxPkg.onnx.INodeProto;
export type TensorProto = onnxPkg.onnx.TensorProto;
export type ITensorProto = onnxPkg.onnx.ITensorProto;
export type AttributeProto = onnxPkg.onnx.AttributeProto;
export type IAttributeProto = onnxPkg.onnx.IAttributeProto;
export type ValueInfoProto = onnxPkg.onnx.ValueInfoProto;
export type IValueInfoProto = onnxPkg.onnx.IValueInfoProto;

/** protobufjs gives int64 fields as Long objects when the `long` package is present, else as numbers. */
export type Int64 = number | { toNumber(): number };

export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
