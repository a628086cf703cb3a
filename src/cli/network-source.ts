// Resolves the model argument of `hwq sim`/`hwq sweep`: a zoo name, an ONNX file (a quantized one brings the
// bit widths the quantizer recorded), or a quantized integer model (.hwq) with its per-layer precisions.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Network, isComputeLayer } from '../model/ir.js';
import { getNetwork, zooNames } from '../model/zoo.js';
import { importOnnxModel } from '../model/onnx-import.js';
import { loadModel } from '../onnx/proto.js';
import { GraphView } from '../onnx/graph.js';
import { loadHwq } from '../intmodel/format.js';
import { UserError } from '../errors.js';
import { checkInputShape } from './input-shape.js';

/** With several data inputs the importer says what is wrong with them. */
function checkDataInputShape(model: ReturnType<typeof loadModel>, shape: number[], spec: string): number[] {
  const inputs = new GraphView(model).inputs;
  return inputs.length === 1 ? checkInputShape(inputs[0], shape, spec) : shape;
}

/** Per-layer bit widths a QDQ model written by `hwq quantize` records in its metadata. */
function recordedBits(meta: Array<{ key?: string | null; value?: string | null }>): Map<string, { a: number; w: number }> {
  const entry = meta.find((m) => m.key === 'hwq.layers');
  const out = new Map<string, { a: number; w: number }>();
  if (!entry?.value) return out;
  try {
    for (const r of JSON.parse(entry.value) as Array<{ name: string; wBits: number; aBits: number | null }>) out.set(r.name, { a: r.aBits ?? 8, w: r.wBits });
  } catch {
    // metadata written by another tool: the quantized types in the graph still give the widths
  }
  return out;
}

/**
 * `inputShape`: the dims of one sample for an .onnx file whose input has symbolic dims; it must agree with
 * every dim the file does fix, and it is refused for what has no ONNX input (zoo names, .hwq models).
 */
export function loadNetwork(spec: string, inputShape?: number[]): Network {
  const lower = spec.toLowerCase();
  if (inputShape && !lower.endsWith('.onnx')) throw new UserError(`--input-shape applies to .onnx models with symbolic input dims, not to '${spec}'`);
  if (lower.endsWith('.onnx') || lower.endsWith('.hwq')) {
    if (!existsSync(spec)) throw new UserError(`model file '${spec}' does not exist`);
    if (lower.endsWith('.hwq')) return loadHwq(spec).network;
    const model = loadModel(spec);
    const net = importOnnxModel(model, basename(spec, '.onnx'), spec, inputShape ? { inputDims: [1, ...checkDataInputShape(model, inputShape, spec)] } : {});
    const bits = recordedBits(model.metadataProps ?? []);
    for (const l of net.layers) if (isComputeLayer(l) && bits.has(l.name)) l.precision = bits.get(l.name);
    return net;
  }
  if (zooNames().includes(spec)) return getNetwork(spec);
  throw new UserError(`unknown model '${spec}': give a zoo name (${zooNames().join(', ')}), an .onnx file or a .hwq quantized model`);
}
