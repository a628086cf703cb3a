// Reading and writing ONNX model files: decoding with user-facing errors, the normalizations every model gets
// on load (weights listed as graph inputs, external data), and atomic saving. The schema lives in schema.ts.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil.js';
import { dropConstantInputs } from './constant-inputs.js';
import { inlineExternalData } from './external-data.js';
import { type IModelProto, type ModelProto, int64ToNumber, onnx } from './schema.js';

export { int64ToNumber, onnx } from './schema.js';
export type {
  AttributeProto, GraphProto, IAttributeProto, IGraphProto, IModelProto, INodeProto, Int64, ITensorProto, IValueInfoProto, ModelProto,
  NodeProto, TensorProto, ValueInfoProto,
} from './schema.js';

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

/** Writes a model (or its encoded bytes) via a temporary file and a rename, so no half-written file is left. */
export function saveModel(path: string, model: IModelProto | Uint8Array): void {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    if (e instanceof UserError) throw e;
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
