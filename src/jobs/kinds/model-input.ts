// The model a quantize or evaluate job reads: an ONNX file by content or ONNX bytes in the spec.
import { type Binary, type FileRef, fromBinary, isBinary, readFileRef } from '../job.js';

export type ModelRef = FileRef | Binary;

export function modelBytes(m: ModelRef): Uint8Array {
  return isBinary(m) ? fromBinary(m) : new Uint8Array(readFileRef(m));
}

/** How messages name the model: its path, or the job's model name for bytes. */
export const modelWhat = (m: ModelRef, name: string): string => (isBinary(m) ? name : m.path);
