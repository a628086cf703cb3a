// Evaluation: top-k counting, a tiny hand-built ONNX model (fixed and free batch sizes), the eval command, and
// the real shared models on fixed subsets pinned to the counts measured with jpeg-js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';
import { UserError } from '../../src/errors.js';
import { openDataSet } from '../../src/data/dataset.js';
import { PRESETS, resolvePreprocess } from '../../src/data/preprocess.js';
import { addBatch, emptyCounts, rankOfLabel } from '../../src/eval/metrics.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { runEval, command } from '../../src/cli/commands/eval.js';
import { pngBytes, solid, tempDir, writeAt } from '../data/fixtures.js';
import { withShared } from '../helpers.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { saveModel } from '../../src/onnx/proto.js';

const { onnx } = onnxPkg;

/**
 * x[N,3,4,4] -> GlobalAveragePool -> Flatten -> y[N,3]: the logit of class c is the mean of channel c.
 * `out` overrides the declared output dims (null: no shape declared); `flatten: false` leaves y as [N,3,1,1].
 */
function meanColourModel(batch: number | string, out?: (number | string)[] | null, flatten = true): string {
  const dim = (d: number | string): object => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const vi = (name: string, dims: (number | string)[]): object => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map(dim) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'hwq-test',
    graph: {
      name: 'mean-colour',
      node: [
        { opType: 'GlobalAveragePool', input: ['x'], output: [flatten ? 'p' : 'y'], name: 'gap' },
        ...(flatten ? [{ opType: 'Flatten', input: ['p'], output: ['y'], name: 'flat', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }] : []),
      ],
      input: [vi('x', [batch, 3, 4, 4])],
      output: [out === null ? { name: 'y', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } } : vi('y', out ?? [batch, 3])],
    },
  });
  const path = join(tempDir('hwq-eval-'), `mean-colour-${batch}.onnx`);
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

/** x[N,3,4,4] -> Relu -> y: a feature map, not class scores. `out`: its declared dims (default [N,3,4,4]). */
function featureMapModel(out: (number | string)[] = ['N', 3, 4, 4]): string {
  const path = join(tempDir('hwq-eval-'), 'feature-map.onnx');
  saveModel(path, buildModel({ inputs: [{ name: 'x', dims: ['N', 3, 4, 4] }], outputs: [{ name: 'y', dims: out }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }));
  return path;
}

/** x[N,3,4,4] -> ReduceMax over C, H, W -> y[N]: one number per image. */
function scalarModel(): string {
  const path = join(tempDir('hwq-eval-'), 'scalar.onnx');
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 4, 4] }], outputs: [{ name: 'y', dims: ['N'] }],
    nodes: [{ op: 'ReduceMax', inputs: ['x'], outputs: ['y'], attrs: { axes: attr.ints([1, 2, 3]), keepdims: attr.int(0) } }],
  }));
  return path;
}

/** Folders a (red), b (green), c (blue), 3 images each, plus one blue image filed under a: top-1 9/10. */
function colourFolders(): string {
  const root = tempDir();
  for (let i = 0; i < 3; i++) {
    writeAt(root, `a/${i}.png`, pngBytes(4, 4, solid(200, 20 + i, 10)));
    writeAt(root, `b/${i}.png`, pngBytes(4, 4, solid(15, 180 + i, 30)));
    writeAt(root, `c/${i}.png`, pngBytes(4, 4, solid(5, 40, 150 + i)));
  }
  writeAt(root, 'a/9-mislabelled.png', pngBytes(4, 4, solid(0, 0, 255)));
  return root;
}

const raw4 = resolvePreprocess('cifar10', { crop: 4, mean: [0], std: [1] });

async function userError(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a UserError matching ${re}`);
}

test('rank of the true class: ties go to the lower index, NaN counts as wrong', () => {
  const logits = Float32Array.from([1, 5, 5, 2, /* row 1 */ 0, 0, 0, 0, /* row 2 */ NaN, 1, 2, 3]);
  assert.is(rankOfLabel(logits, 0, 4, 1), 0);
  assert.is(rankOfLabel(logits, 0, 4, 2), 1);
  assert.is(rankOfLabel(logits, 0, 4, 0), 3);
  assert.is(rankOfLabel(logits, 1, 4, 3), 3);
  assert.is(rankOfLabel(logits, 2, 4, 0), 4);
  const wide = Float32Array.from({ length: 8 }, (_, i) => 8 - i); // class 0 best, class 7 worst
  const acc = addBatch(emptyCounts(), wide, 8, [4]);
  addBatch(acc, wide, 8, [5]);
  addBatch(acc, wide, 8, [0]);
  assert.equal([acc.count, acc.top1, acc.top5], [3, 1, 2]);
  assert.equal(acc.perClass.get(0), { total: 1, top1: 1 });
  assert.equal(acc.perClass.get(5), { total: 1, top1: 0 });
});

test('a fixed batch-1 model runs one image at a time; a fixed batch-3 model pads the last batch', async () => {
  const data = openDataSet(colourFolders());
  for (const [batch, expectBatch] of [[1, 1], [3, 3], ['N', 4]] as const) {
    const r = await evaluate(meanColourModel(batch), data, raw4, { batchSize: 4, workers: 0, progress: false });
    assert.equal([r.images, r.top1Correct, r.top5Correct, r.batchSize], [10, 9, 10, expectBatch], `batch ${batch}`);
    assert.is(r.top1, 0.9);
    assert.equal(r.perClass.get(0), { total: 4, top1: 3 });
    assert.ok(r.imagesPerSecond > 0 && r.seconds > 0);
  }
});

test('input size mismatch and too few model classes are UserErrors naming the sizes', async () => {
  const data = openDataSet(colourFolders());
  await userError(evaluate(meanColourModel('N'), data, PRESETS.cifar10, { workers: 0 }), /expects input 3x4x4 \(CxHxW\) but preprocessing 'cifar10' produces 3x32x32/);
  const four = colourFolders();
  writeAt(four, 'd/0.png', pngBytes(4, 4, solid(1, 1, 1)));
  await userError(evaluate(meanColourModel('N'), openDataSet(four), raw4, { workers: 0 }), /data set .* has labels up to 3 but model '.*mean-colour-N\.onnx' output 'y' \[N, 3\] gives only 3 classes/);
  // declared nothing: caught on the shape the first batch returns
  await userError(evaluate(meanColourModel('N', null), openDataSet(four), raw4, { workers: 0 }), /has labels up to 3 but model .* output 'y' \[\d+, 3\] gives only 3 classes/);
  await userError(evaluate('/nonexistent/m.onnx', data, raw4), /model file '\/nonexistent\/m\.onnx' does not exist/);
  const junk = writeAt(tempDir(), 'junk.onnx', 'not a model');
  await userError(evaluate(junk, data, raw4), /junk\.onnx' is not an ONNX model/);
});

test('an output that is not [batch, classes] is refused naming the model and the shape; [N, classes, 1, 1] is fine', async () => {
  const data = openDataSet(colourFolders());
  // declared: refused when the model opens, before any image runs
  await userError(evaluate(featureMapModel(), data, raw4, { workers: 0 }), /model '.*feature-map\.onnx' output 'y' has shape \[N, 3, 4, 4\]; evaluation needs class scores shaped \[batch, classes\]/);
  await userError(evaluate(scalarModel(), data, raw4, { workers: 0 }), /scalar\.onnx' output 'y' has shape \[N\]; evaluation needs/);
  // symbolic dims pass the declaration; the first batch's real shape is checked
  await userError(
    evaluate(featureMapModel(['N', 'c', 'h', 'w']), data, raw4, { batchSize: 2, workers: 0 }),
    /feature-map\.onnx' returned output 'y' of shape \[2, 3, 4, 4\]; evaluation needs class scores/,
  );
  const r = await evaluate(meanColourModel('N', ['N', 3, 1, 1], false), data, raw4, { workers: 0, progress: false });
  assert.equal([r.images, r.top1Correct, r.top5Correct], [10, 9, 10]);
});

test('eval command: options reach the evaluator; --json prints the documented object', async () => {
  const root = colourFolders();
  const model = meanColourModel(1);
  const base = { model, data: root, json: false, 'per-class': false, workers: 0, progress: false };
  await userError(runEval(base), /no preprocessing preset matches model input 3x4x4/);
  const first = await runEval({ ...base, preprocess: 'cifar10', crop: 4, mean: [0], std: [1], first: 4 });
  assert.equal([first.result.images, first.result.top1Correct], [4, 3]); // the first 4 in sorted order: a/0, a/1, a/2, a/9-mislabelled
  assert.equal(first.result.perClass.size, 1);
  const notes: string[] = [];
  const { result, data } = await runEval({ ...base, preprocess: 'cifar10', crop: 4, mean: [0], std: [1], limit: 6 }, (l) => notes.push(l));
  assert.equal([...result.perClass.entries()].sort().map(([c, v]) => [c, v.total]), [[0, 2], [1, 2], [2, 2]]);
  assert.equal(notes, ['sampled 6 of 10 images, stratified over 3 classes, seed 0']);
  assert.equal(data.sampling.seed, 0);
  await userError(runEval({ ...base, preprocess: 'cifar10', crop: 4, limit: 0 }), /--limit '0' must be an integer >= 1/);
  await userError(runEval({ ...base, preprocess: 'cifar10', crop: 4, limit: 4, first: 4 }), /give --limit 4 .* or --first 4 .*, not both/);
  await userError(runEval({ ...base, preprocess: 'cifar10', crop: 4, seed: 3 }), /--seed 3 chooses the --limit sample; add --limit N/);
  await userError(runEval({ ...base, preprocess: 'cifar10', crop: 4, seed: 3, first: 2 }), /--first takes the first images in sorted order and has no seed/);
  const writes: string[] = [];
  const errs: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (writes.push(s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (errs.push(s), true)) as typeof process.stderr.write;
  try {
    await (command.handler as (a: unknown) => Promise<void>)({ ...base, json: true, preprocess: 'cifar10', crop: 4, mean: [0], std: [1], seed: 3, limit: 10 });
  } finally {
    process.stdout.write = orig;
    process.stderr.write = origErr;
  }
  assert.equal(errs, ['sampled 10 of 10 images, stratified over 3 classes, seed 3\n']);
  const out = JSON.parse(writes.join(''));
  assert.equal(Object.keys(out).slice(0, 7), ['model', 'data', 'images', 'top1', 'top5', 'imagesPerSecond', 'seconds']);
  assert.equal([out.images, out.top1, out.top5, out.top1Correct], [10, 0.9, 1, 9]);
  assert.equal(out.sampling, { mode: 'stratified', seed: 3, total: 10, classes: 3, sampledClasses: 3 });
});

// Pinned to the counts measured here with jpeg-js; a change means decoding, preprocessing or labels moved.
withShared(test, 'cifar10-resnet20: 1,000 test images (seed 1) -> 804 top-1, 983 top-5', [['models', 'cifar10-resnet20.onnx'], ['data', 'cifar10', 'test']], async ([model, dir]) => {
  const data = openDataSet(dir, { limit: 1000, seed: 1 });
  const r = await evaluate(model, data, PRESETS.cifar10, { progress: false });
  assert.equal([r.images, r.top1Correct, r.top5Correct], [1000, 804, 983]);
});

withShared(test, 'imagenet-mobilenetv2: first 200 val images -> 154 top-1, 184 top-5', [['models', 'imagenet-mobilenetv2.onnx'], ['data', 'imagenet', 'val']], async ([model, dir]) => {
  const data = openDataSet(dir, { limit: 200 });
  const r = await evaluate(model, data, PRESETS.imagenet, { progress: false });
  assert.equal([r.images, r.top1Correct, r.top5Correct], [200, 154, 184]);
});

test.run();
