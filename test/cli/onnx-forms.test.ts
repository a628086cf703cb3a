// Forms of ONNX files that older or other exporters write, run through every command a user has: weights
// that are also listed as graph inputs (IR < 4), a fixed batch size, and tensors kept in an external data file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hwq, userError } from './run-hwq.js';
import { GraphView } from '../../src/onnx/graph.js';
import { type ModelProto, loadModel, saveModel } from '../../src/onnx/proto.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { cnn, saveWithExternalData } from '../compat/qmodels.js';

const T = mkdtempSync(join(tmpdir(), 'hwq-onnx-forms-'));
const IMAGES = colourFolder(join(T, 'images'), 3);

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
