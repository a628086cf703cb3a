// onnxruntime's dynamic form (DynamicQuantizeLinear + ConvInteger/MatMulInteger + Cast + scale Mul): sim
// says A8W8 with activations quantized at run time, on the layers of the float twin; quantize starts from
// the float model it dequantizes to; eval and compare run the file as it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { hwq } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { encodeModel, saveModel } from '../../src/onnx/proto.js';
import { asFloat, asQdq } from '../../src/onnx/dequantize-model.js';
import { dynamicTwin, everyCommand, floatTwin, twinOutput as outputOf } from './qmodels.js';

const T = tempDir('hwq-compat-dyn-');
const IMAGES = colourFolder(join(T, 'images'), 2);
const FLOAT = join(T, 'float.onnx');
const DYN = join(T, 'dyn.onnx');
saveModel(FLOAT, floatTwin());
saveModel(DYN, dynamicTwin());


test('sim: the float twin\'s layers and cycles at a8w8, with a note and a JSON field saying activations are quantized at run time', async () => {
  const f = JSON.parse((await hwq('sim', FLOAT, '--json')).stdout);
  const r = await hwq('sim', DYN, '--json');
  assert.is(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout);
  const rows = (x: any) => x.layers.map((l: any) => [l.name, l.kind, l.macs, l.totalCycles]);
  assert.equal(rows(d), rows(f));
  assert.equal(d.layers.map((l: any) => l.precision), [{ a: 8, w: 8 }, { a: 8, w: 8 }, { a: 8, w: 8 }]);
  assert.equal(d.quantized, { format: 'dynamic', dynamicActivations: true });
  const human = await hwq('sim', DYN);
  assert.match(human.stdout, /^note: dynamically quantized model .*A8W8, activations quantized at run time/m);
  assert.not.match((await hwq('sim', FLOAT)).stdout, /note:/);
});

test('the QDQ rewrite and the dequantized float model agree with the dynamic file in onnxruntime', async () => {
  const direct = await outputOf(encodeModel(dynamicTwin()));
  const qdq = await outputOf(encodeModel(asQdq(dynamicTwin(), 'dyn')));
  // the same integer products, scaled once instead of twice: equal to float32 rounding
  qdq.forEach((v, i) => assert.ok(Math.abs(v - direct[i]) < 1e-5, `output ${i}: QDQ ${v} vs dynamic ${direct[i]}`));
  const d = await outputOf(encodeModel(asFloat(dynamicTwin(), 'dyn')));
  const f = await outputOf(encodeModel(floatTwin()));
  d.forEach((v, i) => assert.ok(Math.abs(v - direct[i]) < 0.01, `output ${i}: dequantized ${v} vs dynamic ${direct[i]}`));
  d.forEach((v, i) => assert.ok(Math.abs(v - f[i]) < 0.01, `output ${i}: dequantized ${v} vs float ${f[i]}`));
});

test('quantize (tflite, bitsplit, lapq), eval and compare from the dynamic file', async () => {
  const runs = await everyCommand(DYN, { images: IMAGES, out: T });
  for (const r of Object.values(runs)) assert.match(r.stdout, /dyn\.onnx is already quantized \(dynamic .*\): dequantized to its float model first$/m);
});

test.run();
