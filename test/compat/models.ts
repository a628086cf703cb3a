// Small ONNX models in the forms users bring from other exporters, each with a top-1 known in advance on the
// fixtures it is paired with: the image models classify a solid-colour image by its brightest channel (the
// colour folders of test/eval/colour-fixtures.ts), the feature model a vector by which third of it is high.
// runEveryCommand takes one of them through every command a user has.
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hwq } from '../cli/run-hwq.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel, type NodeSpec } from '../../src/onnx/build.js';
import { saveModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';

export type Dim = number | string;

/** MACs of colourCnn at H x W: conv1 (8 x 3 x 3 x 3 per pixel), conv2 (8 x 8 per pixel, 1x1) and fc (8 x 3). */
export const colourCnnMacs = (h: number, w: number): number => h * w * 8 * 27 + h * w * 8 * 8 + 24;

/**
 * Conv 3->8 3x3 -> Relu -> Conv 8->8 1x1 -> Relu -> GlobalAveragePool -> Flatten -> Gemm 8->3. Output channel
 * k < 3 of conv1 averages input channel k, conv2 and the Gemm pass channels 0-2 on, so the class is the
 * brightest input channel; channels 3-7 carry small ramps so every layer has real work to quantize.
 * `nhwc`: the input is [N, H, W, C] and goes through a Transpose to NCHW first, as tf2onnx exports it.
 */
export function colourCnn(path: string, dims: Dim[], nhwc = false): string {
  const ramp = (n: number, k: number, scale: number) => Array.from({ length: n }, (_, i) => (((i * k) % 11) / 11 - 0.5) * scale);
  const w1 = ramp(8 * 27, 7, 0.02);
  for (let k = 0; k < 3; k++) for (let c = 0; c < 3; c++) for (let t = 0; t < 9; t++) w1[k * 27 + c * 9 + t] = c === k ? 1 / 9 : 0;
  const w2 = ramp(64, 5, 0.02);
  for (let k = 0; k < 3; k++) for (let c = 0; c < 8; c++) w2[k * 8 + c] = c === k ? 1 : 0;
  const fw = Array.from({ length: 24 }, (_, i) => (i % 8 === Math.floor(i / 8) ? 1 : 0));
  const head: NodeSpec[] = nhwc ? [{ op: 'Transpose', name: 'to_nchw', inputs: ['x'], outputs: ['xt'], attrs: { perm: attr.ints([0, 3, 1, 2]) } }] : [];
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims }],
    outputs: [{ name: 'y', dims: [dims[0], 3] }],
    nodes: [
      ...head,
      {
        op: 'Conv', name: 'conv1', inputs: [nhwc ? 'xt' : 'x', 'w1', 'b1'], outputs: ['c1'],
        attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) },
      },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { kernel_shape: attr.ints([1, 1]) } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w1: floatTensor([8, 3, 3, 3], w1), b1: floatTensor([8], ramp(8, 3, 0.01)), w2: floatTensor([8, 8, 1, 1], w2),
      fw: floatTensor([3, 8], fw), fb: floatTensor([3]),
    },
  }));
  return path;
}

/** Features per sample of featureMlp: `channels` x `length`, flattened to `channels * length` inputs. */
export interface FeatureShape {
  channels: number;
  length: number;
}

/**
 * x[N, C, L] -> Flatten -> Gemm (C*L -> 8) -> Relu -> Gemm (8 -> 3), or x[N, F] -> the same without the Flatten
 * (`shape.channels` 0). Hidden unit k < 3 sums the k-th third of the flattened features and the last Gemm
 * passes units 0-2 on, so the class is the third of the sample that holds the most.
 */
export function featureMlp(path: string, shape: FeatureShape, batch: Dim = 'N'): string {
  const f = Math.max(1, shape.channels) * shape.length;
  const third = Math.ceil(f / 3);
  const w1 = Array.from({ length: 8 * f }, (_, i) => {
    const [k, j] = [Math.floor(i / f), i % f];
    return k < 3 ? (Math.floor(j / third) === k ? 1 : 0) : (((i * 7) % 11) / 11 - 0.5) * 0.05;
  });
  const w2 = Array.from({ length: 24 }, (_, i) => (i % 8 === Math.floor(i / 8) ? 1 : 0));
  const flat = shape.channels > 0;
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims: flat ? [batch, shape.channels, shape.length] : [batch, shape.length] }],
    outputs: [{ name: 'y', dims: [batch, 3] }],
    nodes: [
      ...(flat ? [{ op: 'Flatten', inputs: ['x'], outputs: ['xf'] }] : []),
      { op: 'Gemm', name: 'fc1', inputs: [flat ? 'xf' : 'x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: attr.int(1) } },
      { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
      { op: 'Gemm', name: 'fc2', inputs: ['hr', 'w2'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: { w1: floatTensor([8, f], w1), b1: floatTensor([8]), w2: floatTensor([3, 8], w2) },
  }));
  return path;
}

/** One sample of featureMlp's class `cls`: the class's third of the features high, the rest low, a little noise. */
export function featureSample(f: number, cls: number, i: number): number[] {
  const third = Math.ceil(f / 3);
  return Array.from({ length: f }, (_, j) => (Math.floor(j / third) === cls ? 1 : 0.1) + ((i * 13 + j * 7) % 10) / 100);
}

export type NpyDescr = '<f4' | '<f8' | '<i2' | '<i4' | '<i8' | '|u1';

/** An .npy (version 1.0) file of `shape` holding `values`, written in `descr`. */
export function npyBytes(shape: number[], values: readonly number[], descr: NpyDescr = '<f4', fortran = false): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  const size = { '<f4': 4, '<f8': 8, '<i2': 2, '<i4': 4, '<i8': 8, '|u1': 1 }[descr];
  const body = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (descr === '<f4') body.writeFloatLE(v, i * 4);
    else if (descr === '<f8') body.writeDoubleLE(v, i * 8);
    else if (descr === '<i2') body.writeInt16LE(v, i * 2);
    else if (descr === '<i4') body.writeInt32LE(v, i * 4);
    else if (descr === '<i8') body.writeBigInt64LE(BigInt(v), i * 8);
    else body.writeUInt8(v, i);
  });
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

export function writeNpy(path: string, shape: number[], values: readonly number[], descr: NpyDescr = '<f4', fortran = false): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, npyBytes(shape, values, descr, fortran));
  return path;
}

export const ok = (r: { code: number; stderr: string }, what: string): void => assert.is(r.code, 0, `${what}: ${r.stderr}`);

export interface EveryCommand {
  /** Where the quantized models go. */
  dir: string;
  model: string;
  /** --data / --calib */
  data: string;
  /** Flags every data command gets (--preprocess, --input-shape, --labels...). */
  flags?: string[];
  /** MACs hwq sim must report for one sample. */
  macs: number;
  /** Extra flags for hwq sim (--input-shape). */
  simFlags?: string[];
}

/**
 * hwq sim (MACs), hwq quantize a8w8 with tflite, bitsplit and lapq, hwq eval of the float model and of each
 * quantized one, hwq compare of each pair: every run exits 0 and every model classifies every sample right.
 */
export async function runEveryCommand(c: EveryCommand): Promise<void> {
  const flags = [...(c.flags ?? []), '--no-progress'];
  const sim = await hwq('sim', c.model, ...(c.simFlags ?? []), '--json');
  ok(sim, 'sim');
  assert.is((JSON.parse(sim.stdout) as { macs: number }).macs, c.macs, 'MACs per sample');
  const top1 = async (model: string, what: string): Promise<void> => {
    const r = await hwq('eval', model, '--data', c.data, ...flags, '--json');
    ok(r, what);
    assert.is((JSON.parse(r.stdout) as { top1: number }).top1, 1, `${what}: top-1`);
  };
  await top1(c.model, 'eval of the float model');
  for (const method of ['tflite', 'bitsplit', 'lapq']) {
    const name = c.model.replace(/^.*\//, '').replace(/\.onnx$/, '');
    const q = join(c.dir, `${name}-${method}.onnx`);
    const extra = method === 'lapq' ? ['--lapq-evals', '20'] : method === 'bitsplit' ? ['--positions', '400'] : ['--hwq', q.replace(/onnx$/, 'hwq')];
    const quantize = await hwq('quantize', c.model, '--a8w8', '--method', method, '--calib', c.data, '--sqnr-images', '4', '--out', q, ...flags, ...extra);
    ok(quantize, `quantize --method ${method}`);
    await top1(q, `eval of the ${method} model`);
    const cmp = await hwq('compare', c.model, q, '--data', c.data, '--sqnr-images', '4', ...flags, '--json');
    ok(cmp, `compare with the ${method} model`);
    const r = JSON.parse(cmp.stdout) as { float: { top1: number }; quantized: { top1: number }; layers: unknown[] };
    assert.equal([r.float.top1, r.quantized.top1], [1, 1], `compare with the ${method} model: top-1`);
    assert.ok(r.layers.length > 0, `compare with the ${method} model: per-layer SQNR`);
    if (method === 'tflite') ok(await hwq('sim', q.replace(/onnx$/, 'hwq')), 'sim of the .hwq');
  }
}
