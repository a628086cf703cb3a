// Models whose input is no image ([N, C, L] sensor windows, [N, F] feature vectors), calibrated and evaluated
// from .npy files: one sample per file or stacks of them, any of the common number types, labels one per line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hwq, userError } from '../cli/run-hwq.js';
import { tempDir } from '../helpers.js';
import { colourFolder } from '../eval/colour-fixtures.js';
import { colourCnn, featureMlp, featureSample, npyBytes, ok, runEveryCommand, writeNpy } from './models.js';

const T = tempDir('hwq-compat-npy-');
const WINDOW = { channels: 2, length: 9 };
const F = WINDOW.channels * WINDOW.length;
const CLASSES = [0, 1, 2, 2, 1, 0, 0, 1, 2, 1, 0, 2];

/**
 * 12 samples of [2, 9] in file-name order: a.npy-c.npy one each (float32, float64, int16 scaled to whole
 * numbers), d.npy a stack of 4 (float32), e.npy a stack of 5 (uint8, whole numbers), and labels.txt.
 */
function windows(dir: string): string {
  const s = (i: number) => featureSample(F, CLASSES[i], i);
  const whole = (i: number) => s(i).map((v) => Math.round(v * 20));
  writeNpy(join(dir, 'a.npy'), [2, 9], s(0));
  writeNpy(join(dir, 'b.npy'), [2, 9], s(1), '<f8');
  writeNpy(join(dir, 'c.npy'), [2, 9], whole(2), '<i2');
  writeNpy(join(dir, 'd.npy'), [4, 2, 9], [3, 4, 5, 6].flatMap(s));
  writeNpy(join(dir, 'e.npy'), [5, 2, 9], [7, 8, 9, 10, 11].flatMap(whole), '|u1');
  writeFileSync(join(dir, 'labels.txt'), `${CLASSES.join('\n')}\n`);
  return dir;
}

const DATA = windows(join(T, 'windows'));
const LABELS = join(DATA, 'labels.txt');

test('[N, 2, 9] windows from .npy: sim, quantize (tflite, bitsplit, lapq), eval and compare', async () => {
  const model = featureMlp(join(T, 'window.onnx'), WINDOW);
  await runEveryCommand({ dir: T, model, data: DATA, macs: F * 8 + 8 * 3 });
  const r = JSON.parse((await hwq('eval', model, '--data', DATA, '--no-progress', '--json')).stdout);
  assert.equal([r.images, r.top1Correct, r.preprocess], [12, 12, 'npy']);
});

test('[N, 18] vectors: a single stacked .npy file with its labels given by --labels, in text or as an .npy', async () => {
  const model = featureMlp(join(T, 'vector.onnx'), { channels: 0, length: F });
  const dir = join(T, 'vectors');
  const file = writeNpy(join(dir, 'all.npy'), [12, F], CLASSES.flatMap((c, i) => featureSample(F, c, i)), '<f8');
  const text = join(T, 'vector-labels.txt');
  writeFileSync(text, CLASSES.join('\n'));
  const npyLabels = writeNpy(join(T, 'vector-labels.npy'), [12], CLASSES, '<i8');
  for (const labels of [text, npyLabels]) {
    const r = await hwq('eval', model, '--data', file, '--labels', labels, '--no-progress', '--json');
    ok(r, `eval --labels ${labels}`);
    assert.equal([JSON.parse(r.stdout).images, JSON.parse(r.stdout).top1], [12, 1]);
  }
  const q = join(T, 'vector-q.onnx');
  ok(await hwq('quantize', model, '--a8w8', '--calib', file, '--out', q, '--no-progress'), 'quantize without labels');
  const cmp = await hwq('compare', model, q, '--data', file, '--labels', text, '--no-progress');
  ok(cmp, 'compare');
  assert.match(cmp.stdout, /^12 samples, preprocess npy\n/);
});

test('a fixed batch of 4: 12 samples and the --limit 10 subset run in padded batches; calibration takes whole batches', async () => {
  const model = featureMlp(join(T, 'window-b4.onnx'), WINDOW, 4);
  const e = await hwq('eval', model, '--data', DATA, '--limit', '10', '--no-progress', '--json');
  ok(e, 'eval');
  assert.equal([JSON.parse(e.stdout).images, JSON.parse(e.stdout).top1, JSON.parse(e.stdout).batchSize], [10, 1, 4]);
  const q = join(T, 'window-b4-q.onnx');
  const lapq = ['--method', 'lapq', '--lapq-evals', '20'];
  const r = await hwq('quantize', model, '--a8w8', ...lapq, '--calib', DATA, '--calib-size', '10', '--out', q, '--no-progress', '--json');
  ok(r, 'quantize');
  assert.is(JSON.parse(r.stdout).calibrationImages, 8);
  ok(await hwq('compare', model, q, '--data', DATA, '--no-progress'), 'compare');
});

test('unlabelled .npy samples calibrate, but accuracy and LAPQ\'s cross-entropy ask for --labels', async () => {
  const model = featureMlp(join(T, 'window-u.onnx'), WINDOW);
  const dir = join(T, 'unlabelled');
  writeNpy(join(dir, 'all.npy'), [6, 2, 9], [0, 1, 2, 0, 1, 2].flatMap((c, i) => featureSample(F, c, i)));
  ok(await hwq('quantize', model, '--a8w8', '--calib', dir, '--out', join(T, 'u-q.onnx'), '--no-progress'), 'tflite calibration');
  const kl = ['--method', 'lapq', '--lapq-kl', '--lapq-evals', '20'];
  ok(await hwq('quantize', model, '--a8w8', ...kl, '--calib', dir, '--out', join(T, 'u-kl.onnx'), '--no-progress'), 'lapq --lapq-kl');
  const lapq = userError(await hwq('quantize', model, '--a8w8', '--method', 'lapq', '--calib', dir, '--out', join(T, 'u-l.onnx')), 'lapq');
  assert.match(lapq, /LAPQ's cross-entropy loss needs labels but the \.npy samples in '.*unlabelled' have none: pass --labels FILE .*, or --lapq-kl/);
  assert.match(userError(await hwq('eval', model, '--data', dir), 'eval'), /accuracy needs labels but the \.npy samples in '.*unlabelled' have none/);
  assert.match(userError(await hwq('compare', model, join(T, 'u-q.onnx'), '--data', dir), 'compare'), /accuracy needs labels/);
});

test('bad .npy data: the wrong shape, Fortran order, big-endian or boolean values, labels that do not fit', async () => {
  const model = featureMlp(join(T, 'window-bad.onnx'), WINDOW);
  const ones = (shape: number[]) => new Array(shape.reduce((a, b) => a * b, 1)).fill(1);
  const bad = (name: string, shape: number[], fortran = false) => writeNpy(join(T, 'bad', name), shape, ones(shape), '<f4', fortran);
  const e = async (data: string, what: string, extra: string[] = []) => userError(await hwq('eval', model, '--data', data, ...extra), what);
  assert.match(await e(bad('wide.npy', [2, 10]), 'shape'),
    /'.*wide\.npy' holds an array of shape 2x10 but the model takes 2x9 per sample \(give one sample per file, or a stack Kx2x9\)/);
  assert.match(await e(bad('stack.npy', [3, 9, 2]), 'stack shape'), /shape 3x9x2 but the model takes 2x9/);
  assert.match(await e(bad('fortran.npy', [2, 9], true), 'fortran'), /'.*fortran\.npy' is stored in Fortran \(column-major\) order/);
  const big = join(T, 'bad', 'big.npy');
  writeFileSync(big, withDescr('>f4'));
  assert.match(await e(big, 'big-endian'), /'.*big\.npy' holds big-endian values; hwq reads little-endian f4, f8, i1, i2, i4, i8, u1, u2 arrays/);
  const bool = join(T, 'bad', 'bool.npy');
  writeFileSync(bool, withDescr('|b1'));
  assert.match(await e(bool, 'bool'), /'.*bool\.npy' holds data type '\|b1'/);
  const short = join(T, 'short-labels.txt');
  writeFileSync(short, '0\n1\n');
  assert.match(await e(DATA, 'labels count', ['--labels', short]), /labels file '.*short-labels\.txt' holds 2 labels but '.*windows' holds 12 samples/);
  const word = join(T, 'word-labels.txt');
  writeFileSync(word, '0\ncat\n');
  assert.match(await e(DATA, 'labels word', ['--labels', word]), /labels file '.*word-labels\.txt' line 2: 'cat' is not a class index/);
  assert.match(await e(DATA, '--preprocess', ['--preprocess', 'cifar10']), /--preprocess applies to images, but '.*windows' holds \.npy arrays/);
  assert.match(userError(await hwq('eval', model, '--data', DATA, '--input-shape', '2x8'), '--input-shape'), /--input-shape 2x8 disagrees with/);
  const images = join(T, 'images');
  assert.match(userError(await hwq('eval', model, '--data', join(T, 'no-such-folder')), 'missing data'), /no-such-folder' does not exist/);
  const png = await hwq('quantize', model, '--a8w8', '--calib', colourFolder(images, 1), '--out', join(T, 'x.onnx'));
  assert.match(userError(png, 'images for a window model'),
    /input 'x' takes 2x9 per sample, not an image \(C x H x W or H x W x C\): give its samples as \.npy files/);
});

/** A [2, 9] .npy of ones whose header names `descr` (the values stay float32 bytes: only the header is read). */
function withDescr(descr: string): Buffer {
  return Buffer.from(npyBytes([2, 9], new Array(18).fill(1)).toString('latin1').replace('<f4', descr), 'latin1');
}

test('an image model with symbolic H and W fed preprocessed [3, 8, 8] tensors: --input-shape gives the size', async () => {
  const model = colourCnn(join(T, 'image-sym.onnx'), ['N', 3, 'H', 'W']);
  const dir = join(T, 'tensors');
  const cls = [0, 1, 2, 1, 2, 0];
  cls.forEach((c, i) => writeNpy(join(dir, `t${i}.npy`), [3, 8, 8], Array.from({ length: 192 }, (_, j) => (Math.floor(j / 64) === c ? 2 : -1))));
  writeFileSync(join(dir, 'labels.txt'), cls.join('\n'));
  assert.match(userError(await hwq('eval', model, '--data', dir), 'no shape'), /input 'x' has symbolic dims per sample \(3xHxW\): pass --input-shape/);
  const r = await hwq('eval', model, '--data', dir, '--input-shape', '3x8x8', '--no-progress', '--json');
  ok(r, 'eval --input-shape 3x8x8');
  assert.equal([JSON.parse(r.stdout).images, JSON.parse(r.stdout).top1], [6, 1]);
  const q = join(T, 'image-sym-q.onnx');
  ok(await hwq('quantize', model, '--a8w8', '--method', 'bitsplit', '--calib', dir, '--input-shape', '3x8x8', '--out', q, '--no-progress'), 'quantize');
  ok(await hwq('compare', model, q, '--data', dir, '--input-shape', '3x8x8', '--no-progress'), 'compare');
});

test.run();
