// Tensors whose bytes live in a side file (data_location EXTERNAL, written by exporters for large models as
// `model.onnx` + `model.onnx.data`). The spec resolves `location` against the model file's folder, never the
// current directory. hwq reads those bytes into the model when it loads it, so every session, rewrite and
// written model is self-contained.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';
import { type IModelProto, type ITensorProto, onnx } from './schema.js';

/** The protobuf limit: a self-contained ONNX file cannot be larger. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

function tensorsOf(model: IModelProto): ITensorProto[] {
  const g = model.graph;
  if (!g) return [];
  const attrs = (g.node ?? []).flatMap((n) => n.attribute ?? []);
  return [...(g.initializer ?? []), ...attrs.flatMap((a) => [...(a.t ? [a.t] : []), ...(a.tensors ?? [])])];
}

/** Reads every external tensor's bytes (resolved beside `modelPath`) into the model, in place; returns how many. */
export function inlineExternalData(model: IModelProto, modelPath: string): number {
  const external = tensorsOf(model).filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  if (external.length === 0) return 0;
  const dir = dirname(modelPath);
  const files = new Map<string, Buffer>();
  let total = 0;
  for (const t of external) {
    const what = `tensor '${t.name ?? ''}' of '${modelPath}'`;
    const entry = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entry.get('location');
    if (!location) throw new UserError(`${what} is stored externally but names no data file (external_data 'location'): re-save the model with its data`);
    if (isAbsolute(location)) throw new UserError(`${what} names its data file by the absolute path '${location}'; ONNX wants a path relative to the model's folder: re-save the model with its data`);
    const file = join(dir, location);
    let bytes = files.get(file);
    if (!bytes) {
      try {
        bytes = readFileSync(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(code === 'ENOENT'
          ? `${what} keeps its data in '${location}', which is not in the model's folder ('${file}' not found): keep the data file next to the model`
          : `cannot read the external data file '${file}' of ${what}: ${(e as Error).message}`);
      }
      files.set(file, bytes);
    }
    const offset = Number(entry.get('offset') ?? 0);
    const length = entry.has('length') ? Number(entry.get('length')) : bytes.length - offset;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 0 || offset + length > bytes.length) {
      throw new UserError(`${what} reads bytes ${entry.get('offset') ?? 0}..+${entry.get('length') ?? '?'} of '${file}', which has ${bytes.length}: the data file does not belong to this model`);
    }
    total += length;
    if (total > PROTOBUF_LIMIT) throw new UserError(`'${modelPath}' has more than 2 GB of external data, more than a self-contained ONNX model can hold: use a smaller model`);
    t.rawData = bytes.subarray(offset, offset + length);
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
  return external.length;
}
