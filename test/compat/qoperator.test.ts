// onnxruntime's QOperator form (QLinearConv, QLinearMatMul, com.microsoft QLinearGlobalAveragePool) through
// every command: sim reads the layers of the float twin at the bits the integer types state; quantize
// starts from the float model the file dequantizes to; eval and compare run the file as it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { hwq } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { encodeModel, saveModel } from '../../src/onnx/proto.js';
import { asFloat, asQdq } from '../../src/onnx/dequantize-model.js';
import { DataType } from '../../src/onnx/tensor.js';
import { everyCommand, floatTwin, qoperatorTwin, twinOutput as outputOf } from './qmodels.js';

const T = tempDir('hwq-compat-qop-');
const IMAGES = colourFolder(join(T, 'images'), 2);
const FLOAT = join(T, 'float.onnx');
const QOP = join(T, 'qop.onnx');
saveModel(FLOAT, floatTwin());
saveModel(QOP, qoperatorTwin());


test('sim: the same layers, shapes, MACs and cycles as the float twin; the note and the JSON field say QOperator', async () => {
  const f = JSON.parse((await hwq('sim', FLOAT, '--json')).stdout);
  const r = await hwq('sim', QOP, '--json');
  assert.is(r.code, 0, r.stderr);
  const q = JSON.parse(r.stdout);
  const rows = (x: any) => x.layers.map((l: any) => [l.name, l.kind, l.macs, l.totalCycles, l.precision]);
  assert.equal(rows(q), rows(f));
  assert.is(q.macs, f.macs);
  assert.equal(q.quantized, { format: 'QOperator', dynamicActivations: false });
  assert.is(f.quantized, undefined);
  assert.match((await hwq('sim', QOP)).stdout, /^note: QOperator quantized model: per-layer precisions read from its quantized types$/m);
});

test('sim: int4 weights are simulated at 4 bits (a8w4) where the float twin runs a8w8', async () => {
  const q4 = join(T, 'qop-int4.onnx');
  saveModel(q4, qoperatorTwin({ weightType: DataType.INT4 }));
  const q = JSON.parse((await hwq('sim', q4, '--json')).stdout);
  assert.equal(q.layers.map((l: any) => `a${l.precision.a}w${l.precision.w}`), ['a8w4', 'a8w4', 'a8w8']);
  const f = JSON.parse((await hwq('sim', FLOAT, '--json')).stdout);
  assert.ok(q.totalCycles < f.totalCycles, `${q.totalCycles} < ${f.totalCycles}`);
});

test('the QDQ rewrite computes what the QOperator file computes, in onnxruntime', async () => {
  const direct = await outputOf(encodeModel(qoperatorTwin()));
  assert.equal(await outputOf(encodeModel(asQdq(qoperatorTwin(), 'qop'))), direct);
});

test('an opset 11 QOperator file with per-channel weight scales is read at opset 13, where DequantizeLinear takes them', async () => {
  const old = qoperatorTwin({ opset: 11 });
  const qdq = asQdq(old, 'qop');
  assert.is(qdq.opsetImport.find((o) => !o.domain)!.version, 13);
  assert.equal(await outputOf(encodeModel(qdq)), await outputOf(encodeModel(old)));
  const f = JSON.parse((await hwq('sim', FLOAT, '--json')).stdout);
  const p = join(T, 'qop-opset11.onnx');
  saveModel(p, old);
  const q = JSON.parse((await hwq('sim', p, '--json')).stdout);
  assert.equal(q.layers.map((l: any) => [l.name, l.macs, l.precision]), f.layers.map((l: any) => [l.name, l.macs, l.precision]));
});

test('the dequantized float model is within quantization error of the QOperator and the float twin', async () => {
  const q = await outputOf(encodeModel(qoperatorTwin()));
  const d = await outputOf(encodeModel(asFloat(qoperatorTwin(), 'qop')));
  const f = await outputOf(encodeModel(floatTwin()));
  // the QOperator output is rounded to its output scale (~0.045 here): one step of it, plus what the layers round
  d.forEach((v, i) => assert.ok(Math.abs(v - q[i]) < 0.1, `output ${i}: dequantized ${v} vs QOperator ${q[i]}`));
  // only the weights' rounding separates the dequantized model from the float twin
  d.forEach((v, i) => assert.ok(Math.abs(v - f[i]) < 0.01, `output ${i}: dequantized ${v} vs float ${f[i]}`));
});

test('quantize (tflite, bitsplit, lapq), eval and compare from the QOperator file', async () => {
  const runs = await everyCommand(QOP, { images: IMAGES, out: T });
  for (const r of Object.values(runs)) assert.match(r.stdout, /^.*qop\.onnx is already quantized \(QOperator .*\): dequantized to its float model first$/m);
  const j = JSON.parse((await hwq('quantize', QOP, '--w8', '--out', join(T, 'json.onnx'), '--json')).stdout);
  assert.is(j.dequantized, 'QOperator');
  assert.equal(j.layers.map((l: any) => l.name), ['conv1', 'conv2', 'fc']);
});

test.run();
