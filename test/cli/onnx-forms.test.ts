// Forms of ONNX files that older or other exporters write, run through every command a user has: weights
// that are also listed as graph inputs (IR < 4), a fixed batch size, and tensors kept in an external data file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { hwq, userError } from './run-hwq.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel, type IoSpec } from '../../src/onnx/build.js';
import { GraphView } from '../../src/onnx/graph.js';
import { type ModelProto, decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/proto.js';
import { floatTensor, tensorFromProto, tensorRawBytes, type Tensor } from '../../src/onnx/tensor.js';
import { colourFolder } from '../eval/colour-fixtures.js';

const T = mkdtempSync(join(tmpdir(), 'hwq-onnx-forms-'));
const IMAGES = colourFolder(join(T, 'images'), 3);

interface CnnForm {
  /** Every initializer also listed as a graph input, as IR 3 requires. */
  weightsAsInputs?: boolean;
  /** A fixed batch dimension instead of a symbolic one. */
  batch?: number;
}

/** Conv -> BatchNormalization -> Relu -> Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm on 3x32x32, 3 classes. */
function cnn(o: CnnForm = {}): ModelProto {
  const ramp = (n: number, k: number, lo = -0.5) => Array.from({ length: n }, (_, i) => ((i * k) % 11) / 11 + lo);
  const inits: Record<string, Tensor> = {
    w1: floatTensor([8, 3, 3, 3], ramp(216, 37)), b1: floatTensor([8], ramp(8, 3)),
    gamma: floatTensor([8], ramp(8, 5, 0.5)), beta: floatTensor([8], ramp(8, 7)),
    mean: floatTensor([8], ramp(8, 2)), variance: floatTensor([8], ramp(8, 3, 0.6)),
    w2: floatTensor([8, 8, 3, 3], ramp(576, 13)), b2: floatTensor([8], ramp(8, 5)),
    fw: floatTensor([3, 8], ramp(24, 7)), fb: floatTensor([3]),
  };
  const n = o.batch ?? 'N';
  const weightInputs: IoSpec[] = o.weightsAsInputs ? Object.entries(inits).map(([name, t]) => ({ name, dims: [...t.dims] })) : [];
  return buildModel({
    irVersion: o.weightsAsInputs ? 3 : 8,
    opset: o.weightsAsInputs ? 9 : 13,
    inputs: [{ name: 'x', dims: [n, 3, 32, 32] }, ...weightInputs],
    outputs: [{ name: 'y', dims: [n, 3] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'BatchNormalization', name: 'bn1', inputs: ['c1', 'gamma', 'beta', 'mean', 'variance'], outputs: ['n1'] },
      { op: 'Relu', inputs: ['n1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: inits,
  });
}

function save(name: string, m: ModelProto): string {
  const p = join(T, name);
  saveModel(p, m);
  return p;
}

const ok = (r: { code: number; stderr: string }, what: string) => assert.is(r.code, 0, `${what}: ${r.stderr}`);

test('weights listed as graph inputs are constants: sim, quantize to QDQ and .hwq, eval', async () => {
  const model = save('inputs.onnx', cnn({ weightsAsInputs: true }));
  ok(await hwq('sim', model), 'sim');
  const q = join(T, 'inputs-q.onnx'), h = join(T, 'inputs-q.hwq');
  ok(await hwq('quantize', model, '--a8w8', '--calib', IMAGES, '--out', q, '--hwq', h), 'quantize');
  assert.equal(new GraphView(loadModel(q)).model.graph!.input!.map((i) => i.name), ['x'], 'the written QDQ model is fed the image alone');
  ok(await hwq('eval', q, '--data', IMAGES), 'eval of the QDQ model');
  ok(await hwq('eval', model, '--data', IMAGES), 'eval of the float model');
  ok(await hwq('sim', h), 'sim of the .hwq');
});

test('a fixed batch of 1 runs on every path: tflite, bitsplit and lapq quantization, eval, compare', async () => {
  const model = save('batch1.onnx', cnn({ batch: 1 }));
  for (const method of ['tflite', 'bitsplit', 'lapq']) {
    const q = join(T, `batch1-${method}.onnx`);
    const extra = method === 'lapq' ? ['--lapq-evals', '20'] : [];
    ok(await hwq('quantize', model, '--a8w8', '--method', method, '--calib', IMAGES, '--calib-size', '8', '--out', q, ...extra), `quantize --method ${method}`);
    ok(await hwq('eval', q, '--data', IMAGES), `eval of the ${method} model`);
    ok(await hwq('compare', model, q, '--data', IMAGES), `compare with the ${method} model`);
  }
});

/** Saves `m` as `path` + `path.data`, every initializer's bytes in the data file (data_location EXTERNAL). */
function saveWithExternalData(path: string, m: ModelProto): void {
  const copy = decodeModel(encodeModel(m));
  const location = `${basename(path)}.data`;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of copy.graph!.initializer!) {
    const bytes = tensorRawBytes(tensorFromProto(t));
    t.rawData = new Uint8Array(0);
    t.floatData = [];
    t.dataLocation = 1;
    t.externalData = [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(bytes.length) }];
    parts.push(bytes);
    offset += bytes.length;
  }
  saveModel(path, copy);
  writeFileSync(join(path, '..', location), Buffer.concat(parts));
}

test('external data is read from beside the model, whatever the current directory: sim, eval, quantize', async () => {
  const dir = join(T, 'external');
  mkdirSync(dir);
  const model = join(dir, 'model.onnx');
  saveWithExternalData(model, cnn());
  assert.is.not(process.cwd(), dir);
  assert.is(loadModel(model).graph!.initializer!.length, 10);
  ok(await hwq('sim', model), 'sim');
  ok(await hwq('eval', model, '--data', IMAGES), 'eval');
  const q = join(T, 'external-q.onnx');
  ok(await hwq('quantize', model, '--a8w8', '--calib', IMAGES, '--out', q), 'quantize');
  assert.ok(loadModel(q).graph!.initializer!.every((t) => t.dataLocation !== 1), 'the quantized model is self-contained');
  ok(await hwq('eval', q, '--data', IMAGES), 'eval of the quantized model');
  ok(await hwq('compare', model, q, '--data', IMAGES), 'compare');
  // The same model with its data file gone: one line naming the file and the remedy.
  renameSync(join(dir, 'model.onnx.data'), join(dir, 'moved.data'));
  const line = userError(await hwq('sim', model, '--json'), 'sim without the data file');
  assert.match(line, /model\.onnx\.data/);
  assert.match(line, /next to the model/);
});

test.run();
