// Resolves the model argument of `hwq sim`/`hwq sweep`: a zoo name or an ONNX file.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Network } from '../model/ir.js';
import { getNetwork, zooNames } from '../model/zoo.js';
import { importOnnx } from '../model/onnx-import.js';
import { UserError } from '../errors.js';

export function loadNetwork(spec: string): Network {
  if (spec.toLowerCase().endsWith('.onnx')) {
    if (!existsSync(spec)) throw new UserError(`model file '${spec}' does not exist`);
    return importOnnx(spec, basename(spec, '.onnx'));
  }
  if (zooNames().includes(spec)) return getNetwork(spec);
  throw new UserError(`unknown model '${spec}': give a zoo name (${zooNames().join(', ')}) or a path to an .onnx file`);
}
