// Reading and writing ONNX ModelProto files with the protobufjs classes of the `onnx-proto` package. That
// package is CommonJS, so its one export object is the default import under Node's ESM interop.
import { readFileSync } from 'node:fs';
import onnxPkg from 'onnx-proto';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil.js';
import { dropConstantInputs } from './constant-inputs.js';
import { inlineExternalData } from './external-data.js';

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

/** Decodes ONNX bytes (weights listed as graph inputs dropped from the inputs); `what` names the source in error messages. */
export function decodeModel(bytes: Uint8Array, what = 'input bytes'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${what} is not an ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  if (!model.graph) {
    // Random bytes can decode as an empty message; a real model always states its IR version or opsets.
    const looksOnnx = int64ToNumber(model.irVersion) > 0 || model.opsetImport.length > 0;
    throw new UserError(looksOnnx ? `ONNX model ${what} has no graph` : `${what} is not an ONNX model (no graph, IR version or opset)`);
  }
  dropConstantInputs(model);
  return model;
}

/** Reads and decodes an .onnx file with its external data, with user-facing errors for a missing or malformed file. */
export function loadModel(path: string): ModelProto {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`ONNX model '${path}' not found`);
    if (code === 'EISDIR') throw new UserError(`ONNX model '${path}' is a directory, not a file`);
    throw new UserError(`cannot read ONNX model '${path}': ${(e as Error).message}`);
  }
  const model = decodeModel(bytes, `'${path}'`);
  inlineExternalData(model, path);
  return model;
}

export function encodeModel(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Writes a model (or its encoded bytes) atomically, so no half-written file is left; missing folders are made. */
export function saveModel(path: string, model: IModelProto | Uint8Array): void {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new UserError(`cannot write ONNX model '${path}': ${(e as Error).message}`);
  }
}

/** The opset version of the default (ai.onnx) domain; ONNX treats a missing entry as opset 1. */
export function defaultOpset(model: IModelProto): number {
  for (const o of model.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') return int64ToNumber(o.version);
  }
  return 1;
}
