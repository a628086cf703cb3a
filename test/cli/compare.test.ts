// `hwq compare`: matching quantized layers to float tensors (BatchNorm-folded renames, missing nodes/tensors),
// the accuracy drop, and the command itself run in-process through yargs on a small model and on ResNet-20.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { PNG } from 'pngjs';
import { rng, withShared } from '../helpers.js';
import { UserError } from '../../src/errors.js';
import { command } from '../../src/cli/commands/compare.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { loadModel, onnx, saveModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { accuracyDrop, layerRecords, matchLayers, sqnrSamples, swapWarning } from '../../src/quant/compare.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { toQdqModel, type QdqLayerRecord } from '../../src/quant/qdq.js';
import { hwq } from './run-hwq.js';
import { colourFolder, colourModel, featureMapModel } from '../eval/colour-fixtures.js';

const T = mkdtempSync(join(tmpdir(), 'hwq-compare-'));

/** Runs `hwq compare ...args` in-process (the command module through yargs); stdout, stderr and the exit code. */
async function compare(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; error: string }> {
  const chunks: string[] = [];
  const errs: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  const out = (code: number, error = '') => ({ code, stdout: chunks.join(''), stderr: errs.join(''), error });
  try {
    await yargs(['compare', ...args]).strict().command(command as never).fail((msg, err) => {
      throw err ?? new UserError(msg);
    }).parseAsync();
    return out(0);
  } catch (e) {
    // option values are checked while yargs parses (src/cli/numbers.ts): it reports those as YError
    if (e instanceof UserError || (e as Error).name === 'YError') return out(2, (e as Error).message);
    throw e;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

const rec = (name: string, nodeName: string): QdqLayerRecord => ({ name, nodeName, wBits: 4, aBits: 4, signed: false, scale: 0.1, zeroPoint: 0 });

test('matchLayers: a BN-folded conv output matches the float BN output; missing nodes and tensors are noted', () => {
  const w = floatTensor([2, 1, 1, 1], [1, 2]);
  const bn = { s: floatTensor([2], [1, 1]), b: floatTensor([2], [0, 0]), m: floatTensor([2], [0, 0]), v: floatTensor([2], [1, 1]) };
  const f = buildModel({
    inputs: [{ name: 'x', dims: [1, 1, 2, 2] }], outputs: [{ name: 'y', dims: [1, 2, 2, 2] }],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'] },
      { op: 'BatchNormalization', name: 'bn', inputs: ['c', 's', 'b', 'm', 'v'], outputs: ['bn_out'] },
      { op: 'Relu', name: 'relu', inputs: ['bn_out'], outputs: ['y'] },
    ],
    initializers: { w, ...bn },
  });
  const q = buildModel({
    inputs: [{ name: 'x', dims: [1, 1, 2, 2] }], outputs: [{ name: 'y', dims: [1, 2, 2, 2] }],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['bn_out'] },
      { op: 'Relu', name: 'relu', inputs: ['bn_out'], outputs: ['y'] },
      { op: 'Conv', name: 'extra', inputs: ['y', 'w'], outputs: ['only_in_q'] },
    ],
    initializers: { w },
  });
  const m = matchLayers([rec('L0', 'conv'), rec('L1', 'gone'), rec('L2', 'extra')], f, q);
  assert.equal(m.layers, [{ name: 'L0', tensor: 'bn_out' }]);
  assert.is(m.notes.length, 2);
  assert.match(m.notes[0], /'L1'.*no node 'gone'/);
  assert.match(m.notes[1], /'L2'.*'only_in_q'.*float graph/);
  assert.is(layerRecords(f, 'f'), null);
});

test('layerRecords reads hwq.layers and rejects malformed metadata; accuracyDrop is in points', () => {
  const m = buildModel({ inputs: [{ name: 'x' }], outputs: [{ name: 'x' }], nodes: [] });
  m.metadataProps = [onnx.StringStringEntryProto.create({ key: 'hwq.layers', value: JSON.stringify([rec('a', 'n')]) })];
  assert.equal(layerRecords(m, 'm'), [rec('a', 'n')]);
  m.metadataProps = [onnx.StringStringEntryProto.create({ key: 'hwq.layers', value: '{"name": 1}' })];
  assert.throws(() => layerRecords(m, 'm.onnx'), (e: Error) => e instanceof UserError && /m\.onnx.*hwq\.layers/.test(e.message));
  const d = accuracyDrop({ top1: 0.8, top5: 0.95 }, { top1: 0.775, top5: 0.96 });
  assert.ok(Math.abs(d.top1 - 2.5) < 1e-9 && Math.abs(d.top5 + 1) < 1e-9, JSON.stringify(d));
});

// ---- the command on a small model built in code ----

const r = rng(11);
function tinyCnn(batch: number | string = 'N') {
  return buildModel({
    inputs: [{ name: 'x', dims: [batch, 3, 32, 32] }],
    outputs: [{ name: 'y', dims: [batch, 10] }],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['r'], outputs: ['p'] },
      { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w: floatTensor([8, 3, 3, 3], Array.from({ length: 216 }, () => r() - 0.5)), b: floatTensor([8], Array.from({ length: 8 }, () => 0.1 * r())),
      fw: floatTensor([10, 8], Array.from({ length: 80 }, () => r() - 0.5)), fb: floatTensor([10]),
    },
  });
}

/** Two class folders of 32x32 noise images. */
function imageFolder(dir: string, perClass: number): void {
  const g = rng(3);
  for (const cls of ['c0', 'c1']) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const png = new PNG({ width: 32, height: 32 });
      for (let k = 0; k < png.data.length; k++) png.data[k] = k % 4 === 3 ? 255 : Math.floor(256 * g());
      writeFileSync(join(dir, cls, `img${i}.png`), PNG.sync.write(png));
    }
  }
}

async function quantizeTiny(floatPath: string, qPath: string, n = 4): Promise<void> {
  const g = rng(8);
  async function* cal(): AsyncGenerator<Batch> {
    for (let i = 0; i < 2; i++) yield { start: n * i, count: n, data: Float32Array.from({ length: n * 3 * 32 * 32 }, () => 4 * g() - 2), labels: new Int32Array(n) };
  }
  const { model } = await quantizeModel(loadModel(floatPath), floatPath, 'tiny', {
    aBits: 4, wBits: 4, firstLast: null, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2 },
    calibration: { batches: cal, count: 2, inputDims: (b) => [b.count, 3, 32, 32] },
  });
  saveModel(qPath, toQdqModel(model));
}

interface CompareJson {
  float: { top1: number; top5: number };
  quantized: { top1: number; top5: number };
  drop: { top1: number; top5: number; top1StandardError: number };
  top1OnlyFloat: number;
  top1OnlyQuantized: number;
  images: number;
  sampling: { mode: string; seed: number | null; total: number; classes: number; sampledClasses: number };
  sqnrImages: number;
  layers: { name: string; outputSqnrDb: number | null }[];
  output: { name: string; outputSqnrDb: number | null } | null;
  notes: string[];
  warnings: string[];
}

test('the SQNR images are drawn over every class, not the first ones of a sorted folder', () => {
  // 4 classes of 50 images, sorted by class as class folders come
  const samples = Array.from({ length: 200 }, (_, i) => ({ label: Math.floor(i / 50), i }));
  const chosen = sqnrSamples(samples, 64);
  assert.is(chosen.length, 64);
  const per = [0, 1, 2, 3].map((c) => chosen.filter((s) => s.label === c).length);
  assert.equal(per, [16, 16, 16, 16]);
  assert.equal(sqnrSamples(samples, 64), chosen, 'deterministic');
  assert.is(sqnrSamples(samples, 500), samples, 'all when fewer than asked');
});

test('compare on a small model: both accuracies, the drop, per-layer SQNR of the hwq.layers; plain q: outputs only', async () => {
  const fp = join(T, 'tiny.onnx'), qp = join(T, 'tiny-q.onnx'), data = join(T, 'imgs');
  saveModel(fp, tinyCnn());
  await quantizeTiny(fp, qp);
  imageFolder(data, 6);
  const res = await compare(fp, qp, '--data', data, '--preprocess', 'cifar10', '--sqnr-images', '5', '--batch', '2', '--workers', '0', '--json');
  assert.is(res.code, 0, res.error);
  const j = JSON.parse(res.stdout) as CompareJson;
  assert.is(j.images, 12);
  assert.is(j.sqnrImages, 5);
  assert.equal(j.layers.map((l) => l.name), ['conv', 'fc']);
  // 4-bit everywhere: a real but bounded error.
  for (const l of j.layers) assert.ok(l.outputSqnrDb !== null && l.outputSqnrDb > 3 && l.outputSqnrDb < 40, `${l.name}: ${l.outputSqnrDb} dB`);
  assert.is(j.output?.name, 'y');
  assert.is(j.output?.outputSqnrDb, j.layers[1].outputSqnrDb, 'the fc output is the model output');
  for (const k of ['top1', 'top5'] as const) {
    assert.ok(Math.abs(j.drop[k] - 100 * (j.float[k] - j.quantized[k])) < 1e-9, `${k} drop`);
    for (const v of [j.float[k], j.quantized[k]]) assert.ok(v >= 0 && v <= 1 && Math.abs(v * 12 - Math.round(v * 12)) < 1e-9, `${k} ${v}: a count out of 12`);
  }
  // the drop is the images only the float model gets right minus those only the quantized one gets right
  assert.ok(Math.abs(j.drop.top1 - (100 * (j.top1OnlyFloat - j.top1OnlyQuantized)) / 12) < 1e-9, 'paired counts and drop agree');
  const d = (j.top1OnlyFloat + j.top1OnlyQuantized) / 12 - ((j.top1OnlyFloat - j.top1OnlyQuantized) / 12) ** 2;
  assert.ok(Math.abs(j.drop.top1StandardError - (100 * Math.sqrt(d)) / Math.sqrt(12)) < 1e-9, 'standard error');
  assert.equal(j.notes, []);
  assert.equal(j.warnings, []);
  assert.equal(j.sampling, { mode: 'all', seed: null, total: 12, classes: 2, sampledClasses: 2 });
  assert.is(res.stderr, '');

  // Text output: the accuracy table and the layer table.
  const text = await compare(fp, qp, '--data', data, '--preprocess', 'cifar10', '--sqnr-images', '4', '--workers', '0');
  assert.is(text.code, 0, text.error);
  assert.match(text.stdout, /^float .*%.*%$/m);
  assert.match(text.stdout, /^drop .* pts .* pts$/m);
  assert.match(text.stdout, /only in the float model: \d+ images, only in the quantized one: \d+; paired standard error of the top-1 drop \d+\.\d\d pts/);
  assert.match(text.stdout, /^conv\s+c\s+\d+\.\d$/m);

  // The float model against itself, as a "quantized" model without metadata: only the final output, identical.
  const same = await compare(fp, fp, '--data', data, '--preprocess', 'cifar10', '--sqnr-images', '2', '--workers', '0', '--json');
  assert.is(same.code, 0, same.error);
  const s = JSON.parse(same.stdout) as CompareJson;
  assert.equal(s.layers, []);
  // Same model, same inputs: equal up to float32 rounding of two sessions (or exactly: null, infinite SQNR).
  assert.is(s.output?.name, 'y');
  const self = s.output?.outputSqnrDb;
  assert.ok(self === null || (self !== undefined && self > 100), `self-SQNR ${self}`);
  assert.equal(s.drop, { top1: 0, top5: 0, top1StandardError: 0 });
  assert.equal([s.top1OnlyFloat, s.top1OnlyQuantized], [0, 0]);
  assert.is(s.notes.length, 1);
  assert.match(s.notes[0], /no 'hwq\.layers' metadata.*only the final outputs/);
});

test('compare a model with a fixed batch of 2: SQNR on whole batches only', async () => {
  const fp = join(T, 'tiny2.onnx'), qp = join(T, 'tiny2-q.onnx'), data = join(T, 'imgs3');
  saveModel(fp, tinyCnn(2));
  await quantizeTiny(fp, qp, 2);
  imageFolder(data, 3);
  const res = await compare(fp, qp, '--data', data, '--preprocess', 'cifar10', '--sqnr-images', '5', '--workers', '0', '--json');
  assert.is(res.code, 0, res.error);
  const j = JSON.parse(res.stdout) as CompareJson;
  assert.is(j.images, 6);
  assert.is(j.sqnrImages, 4);
  assert.equal(j.layers.map((l) => l.name), ['conv', 'fc']);
  const one = await compare(fp, qp, '--data', data, '--preprocess', 'cifar10', '--sqnr-images', '1', '--workers', '0', '--json');
  assert.is(one.code, 0, one.error);
  const o = JSON.parse(one.stdout) as CompareJson;
  assert.equal([o.sqnrImages, o.layers, o.output], [0, [], null]);
  assert.match(o.notes.join(' '), /fixed batch of 2/);
});

// ---- models of known accuracy: the class is the brightest channel of a solid colour ----

test('compare warns when the "quantized" model beats the float one by more than 3 paired standard errors', async () => {
  const good = colourModel(join(T, 'good.onnx'), [0, 1, 2]); // every image right
  const worse = colourModel(join(T, 'worse.onnx'), [0, 2, 1]); // green and blue swapped: only red right
  const data = colourFolder(join(T, 'colours'), 4);
  const args = ['--data', data, '--preprocess', 'cifar10', '--sqnr-images', '0', '--workers', '0'];
  const swapped = await compare(worse, good, ...args, '--json');
  assert.is(swapped.code, 0, swapped.error);
  const j = JSON.parse(swapped.stdout) as CompareJson;
  assert.equal([j.float.top1, j.quantized.top1], [4 / 12, 1]);
  assert.is(j.warnings.length, 1);
  assert.match(j.warnings[0], /quantized model '.*good\.onnx' scores 66\.67 pts above the float model '.*worse\.onnx'.*3 paired standard errors \(13\.61 pts\): the arguments may be swapped/);
  assert.is(swapped.stderr, `hwq: warning: ${j.warnings[0]}\n`);
  const text = await compare(worse, good, ...args);
  assert.match(text.stderr, /^hwq: warning: .*may be swapped/);
  // the right way round: a drop, no warning
  const right = await compare(good, worse, ...args, '--json');
  assert.is(right.code, 0, right.error);
  assert.equal(JSON.parse(right.stdout).warnings, []);
  assert.is(right.stderr, '');
  // a gain inside the noise is no reason to warn
  const paired = { onlyA: 3, onlyB: 5, images: 100, seTop1: 2.82 };
  assert.is(swapWarning({ top1: 0.7, top5: 0.9 }, { top1: 0.72, top5: 0.9 }, paired, 'f', 'q'), undefined);
  assert.match(swapWarning({ top1: 0.7, top5: 0.9 }, { top1: 0.79, top5: 0.9 }, { ...paired, onlyB: 12 }, 'f', 'q') ?? '', /'q' scores 9\.00 pts above .*'f'/);
});

test('compare refuses, before running, a model whose output is no [batch, classes] or too few classes', async () => {
  const good = colourModel(join(T, 'good2.onnx'), [0, 1, 2]);
  const data = colourFolder(join(T, 'colours2'), 1);
  const fmap = featureMapModel(join(T, 'fmap.onnx'));
  const args = ['--data', data, '--preprocess', 'cifar10', '--sqnr-images', '0', '--workers', '0'];
  const bad = await compare(good, fmap, ...args);
  assert.is(bad.code, 2);
  assert.match(bad.error, /model '.*fmap\.onnx' output 'y' has shape \[N, 3, 32, 32\]; evaluation needs class scores shaped \[batch, classes\]/);
  const two = colourModel(join(T, 'two.onnx'), [0, 1, 1], 2);
  const few = await compare(two, good, ...args);
  assert.is(few.code, 2);
  assert.match(few.error, /has labels up to 2 but model '.*two\.onnx' output 'y' \[N, 2\] gives only 2 classes/);
});

test('compare: bad input is a user error naming it', async () => {
  const fp = join(T, 'tiny.onnx');
  saveModel(fp, tinyCnn());
  const data = join(T, 'imgs2');
  imageFolder(data, 1);
  const missing = await compare(fp, join(T, 'nope.onnx'), '--data', data);
  assert.is(missing.code, 2);
  assert.match(missing.error, /nope\.onnx/);
  const wrongSize = await compare(fp, fp, '--data', data, '--preprocess', 'imagenet');
  assert.is(wrongSize.code, 2);
  assert.match(wrongSize.error, /3x32x32.*imagenet/);
  const neg = await compare(fp, fp, '--data', data, '--sqnr-images', '-1');
  assert.is(neg.code, 2);
  assert.match(neg.error, /--sqnr-images '-1'/);
});

withShared(test, 'compare ResNet-20 with its a8w8 quantization: 20 layers, small drop, high SQNR',
  [['models', 'cifar10-resnet20.onnx'], ['data', 'cifar10', 'calib'], ['data', 'cifar10', 'test']], async ([model, calib, data]) => {
  const q = join(T, 'r20-q.onnx');
  const run = await hwq('quantize', model, '--a8w8', '--calib', calib, '--calib-size', '32', '--sqnr-images', '0', '--out', q);
  assert.is(run.code, 0, run.stderr);
  const res = await compare(model, q, '--data', data, '--limit', '300', '--seed', '2', '--sqnr-images', '16', '--json', '--no-progress');
  assert.is(res.code, 0, res.error);
  const j = JSON.parse(res.stdout) as CompareJson;
  assert.is(j.images, 300);
  assert.equal(j.sampling, { mode: 'stratified', seed: 2, total: 10000, classes: 10, sampledClasses: 10 });
  assert.is(res.stderr, 'sampled 300 of 10000 images, stratified over 10 classes, seed 2\n');
  assert.is(j.layers.length, 20);
  assert.ok(j.layers.every((l) => l.outputSqnrDb !== null && l.outputSqnrDb > 20), j.layers.map((l) => l.outputSqnrDb).join(' '));
  assert.ok(j.float.top1 > 0.7 && Math.abs(j.drop.top1) <= 3, JSON.stringify(j.drop));
  assert.is(j.output?.name, 'logits');
});

test.after(() => rmSync(T, { recursive: true, force: true }));

test.run();
