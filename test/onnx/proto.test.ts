import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withShared, throwsUser } from '../helpers.js';
import { type ModelProto, decodeModel, defaultOpset, encodeModel, loadModel, onnx, saveModel } from '../../src/onnx/proto.js';
import { readdirSync } from 'node:fs';
import { openModel } from '../../src/onnx/run.js';
import { buildModel } from '../../src/onnx/build.js';

const dir = mkdtempSync(join(tmpdir(), 'hwq-onnx-proto-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));


test('missing file is a UserError naming the path', () => {
  throwsUser(() => loadModel(join(dir, 'nope.onnx')), /nope\.onnx' not found/);
});

test('a directory is a UserError', () => {
  throwsUser(() => loadModel(dir), /is a directory/);
});

test('a text file is not an ONNX model', () => {
  const p = join(dir, 'notes.onnx');
  writeFileSync(p, '{"this": "is json, not protobuf"}\n');
  throwsUser(() => loadModel(p), /notes\.onnx' is not an ONNX model/);
});

test('an empty file is not an ONNX model', () => {
  const p = join(dir, 'empty.onnx');
  writeFileSync(p, '');
  throwsUser(() => loadModel(p), /is not an ONNX model/);
});

test('a model without a graph says so', () => {
  const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }] }).finish();
  throwsUser(() => decodeModel(bytes, 'x.onnx'), /ONNX model x\.onnx has no graph/);
});

test('decode(encode(m)) keeps a built model, and opset is read from the default domain', () => {
  const m = buildModel({ inputs: [{ name: 'x', dims: ['batch', 4] }], outputs: [{ name: 'y', dims: ['batch', 4] }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }], opset: 17 });
  const back = decodeModel(encodeModel(m));
  assert.is(defaultOpset(back), 17);
  assert.is(back.graph?.node?.[0].opType, 'Relu');
  assert.is(back.graph?.input?.[0].type?.tensorType?.shape?.dim?.[0].dimParam, 'batch');
});

test('saveModel writes a loadable file, creating its folder, and leaves no temporary behind; a bad path is a UserError', () => {
  const m = buildModel({ inputs: [{ name: 'x', dims: [2] }], outputs: [{ name: 'y', dims: [2] }], nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['y'] }] });
  const sub = mkdtempSync(join(dir, 'save-'));
  saveModel(join(sub, 'neg.onnx'), m);
  assert.equal(readdirSync(sub), ['neg.onnx']);
  assert.is(loadModel(join(sub, 'neg.onnx')).graph?.node?.[0].opType, 'Neg');
  // a missing folder is created, as for every other output; a file in the way of the folder is an error
  saveModel(join(sub, 'made', 'x.onnx'), m);
  assert.equal(readdirSync(join(sub, 'made')), ['x.onnx']);
  throwsUser(() => saveModel(join(sub, 'neg.onnx', 'x.onnx'), m), /cannot write ONNX model/);
  assert.equal(readdirSync(sub), ['made', 'neg.onnx']);
});

withShared(test, 're-encoded ResNet-20 runs in onnxruntime with identical outputs', [['models', 'cifar10-resnet20.onnx']], async ([p]) => {
  const original = readFileSync(p);
  const reencoded = encodeModel(loadModel(p));
  const a = await openModel(original);
  const b = await openModel(reencoded);
  const x = new Float32Array(2 * 3 * 32 * 32).map((_, i) => Math.sin(i * 0.37) * 2);
  const ya = (await a.run({ input: { dims: [2, 3, 32, 32], data: x } })).get('logits');
  const yb = (await b.run({ input: { dims: [2, 3, 32, 32], data: x } })).get('logits');
  assert.ok(ya && yb);
  assert.equal(yb.dims, [2, 10]);
  assert.equal(Array.from(yb.data as Float32Array), Array.from(ya.data as Float32Array));
  await a.release();
  await b.release();
});

test('external tensor data: read at its offset beside the model; a short data file, an absolute or missing location refused', () => {
  const ext = (location: string | undefined, offset: number, length: number) => onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g', node: [{ opType: 'Identity', input: ['w'], output: ['y'] }], output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      initializer: [{
        name: 'w', dims: [2], dataType: 1, dataLocation: 1,
        externalData: [
          ...(location ? [{ key: 'location', value: location }] : []), { key: 'offset', value: String(offset) }, { key: 'length', value: String(length) },
        ],
      }],
    },
  });
  writeFileSync(join(dir, 'ext.bin'), Buffer.from(new Float32Array([9, 1.5, -2]).buffer));
  const put = (m: ModelProto) => (saveModel(join(dir, 'ext.onnx'), m), join(dir, 'ext.onnx'));
  const w = loadModel(put(ext('ext.bin', 4, 8))).graph!.initializer![0];
  assert.equal([...new Float32Array(new Uint8Array(w.rawData!).buffer)], [1.5, -2]);
  assert.is(w.dataLocation, 0);
  throwsUser(() => loadModel(put(ext('ext.bin', 8, 8))), /reads bytes 8\.\.\+8 of .*ext\.bin', which has 12/);
  throwsUser(() => loadModel(put(ext(join(dir, 'ext.bin'), 0, 8))), /absolute path .*relative to the model's folder/);
  throwsUser(() => loadModel(put(ext(undefined, 0, 8))), /names no data file/);
  throwsUser(() => loadModel(put(ext('gone.bin', 0, 8))), /'gone\.bin', which is not in the model's folder .*keep the data file next to the model/);
});

test.run();
