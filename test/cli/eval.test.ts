// `hwq eval` end to end as a user runs it: which images --limit and --first pick (and say so on stderr and in
// --json), and the inputs refused with one `hwq:` line instead of a wrong accuracy: a labels file mixing indices
// and names, a model whose output is no class scores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withShared } from '../helpers.js';
import { hwq, hwqAll, userError } from './run-hwq.js';
import { colourFolder, colourModel, featureMapModel } from '../eval/colour-fixtures.js';

const T = mkdtempSync(join(tmpdir(), 'hwq-eval-cli-'));

interface EvalJson {
  images: number;
  top1Correct: number;
  sampling: { mode: string; seed: number | null; total: number; classes: number; sampledClasses: number };
  perClass: Record<string, { total: number; top1: number }>;
}

test('--limit: a stratified sample named on stderr and in --json; --first: the sorted prefix; conflicts refused', async () => {
  const model = colourModel(join(T, 'colour.onnx'), [0, 1, 2]);
  const data = colourFolder(join(T, 'colours'), 4);
  const base = ['eval', model, '--data', data, '--workers', '0', '--json', '--per-class'];
  const [limit, seeded, first, both, seedAlone, typo] = await hwqAll([
    [...base, '--limit', '6'],
    [...base, '--limit', '7', '--seed', '5'],
    [...base, '--first', '6'],
    [...base, '--limit', '6', '--first', '6'],
    [...base, '--seed', '5'],
    [...base, '--limit', '5O'],
  ]);
  assert.is(limit.code, 0, limit.stderr);
  assert.is(limit.stderr, 'sampled 6 of 12 images, stratified over 3 classes, seed 0\n');
  const l = JSON.parse(limit.stdout) as EvalJson;
  assert.equal(l.sampling, { mode: 'stratified', seed: 0, total: 12, classes: 3, sampledClasses: 3 });
  assert.equal(Object.values(l.perClass).map((c) => c.total), [2, 2, 2]);
  assert.is(seeded.stderr, 'sampled 7 of 12 images, stratified over 3 classes, seed 5\n');
  assert.equal(Object.values((JSON.parse(seeded.stdout) as EvalJson).perClass).map((c) => c.total).sort(), [2, 2, 3]);
  assert.is(first.code, 0, first.stderr);
  assert.is(first.stderr, 'took the first 6 of 12 images in sorted order (--first), covering 2 of 3 classes\n');
  assert.equal((JSON.parse(first.stdout) as EvalJson).sampling, { mode: 'first', seed: null, total: 12, classes: 3, sampledClasses: 2 });
  assert.match(userError(both, '--limit with --first'), /give --limit 6 .* or --first 6 .*, not both/);
  assert.match(userError(seedAlone, '--seed without --limit'), /--seed 5 chooses the --limit sample; add --limit N/);
  assert.match(userError(typo, '--limit typo'), /--limit '5O' must be an integer >= 1$/);
  const help = await hwq('eval', '--help');
  assert.match(help.stdout, /--limit .*stratified over the classes/);
  assert.match(help.stdout, /--first .*first N images in sorted order/);
});

test('a labels file mixing indices with a name or a negative number is refused naming file, line and value', async () => {
  const dir = join(T, 'flat');
  colourFolder(dir, 3);
  const rows = (odd: string): string => ['file,class', 'c0/img0.png,0', 'c0/img1.png,0', 'c1/img0.png,1', 'c1/img1.png,1', `c2/img0.png,${odd}`, 'c2/img1.png,2'].join('\n');
  writeFileSync(join(T, 'neg.csv'), rows('-3'));
  writeFileSync(join(T, 'typo.csv'), rows('two'));
  const model = colourModel(join(T, 'colour-labels.onnx'), [0, 1, 2]);
  const [neg, typo, calib] = await hwqAll([
    ['eval', model, '--data', dir, '--labels', join(T, 'neg.csv'), '--workers', '0'],
    ['compare', model, model, '--data', dir, '--labels', join(T, 'typo.csv'), '--workers', '0'],
    ['quantize', model, '--a8w8', '--calib', dir, '--labels', join(T, 'typo.csv'), '--out', join(T, 'never.onnx')],
  ]);
  assert.match(userError(neg, 'eval, -3 among indices'), /labels file '.*neg\.csv' line 6: class '-3' is not a class index \(an integer >= 0\) while the other lines are indices/);
  assert.match(userError(typo, 'compare, a name among indices'), /typo\.csv' line 6: class 'two' is not a class index/);
  assert.match(userError(calib, 'quantize --calib, a name among indices'), /typo\.csv' line 6: class 'two' is not a class index/);
  // all indices: accepted, and the red/green/blue model is right on every image
  writeFileSync(join(T, 'good.csv'), rows('2'));
  const ok = await hwq('eval', model, '--data', dir, '--labels', join(T, 'good.csv'), '--workers', '0', '--json');
  assert.is(ok.code, 0, ok.stderr);
  assert.equal([(JSON.parse(ok.stdout) as EvalJson).images, (JSON.parse(ok.stdout) as EvalJson).top1Correct], [6, 6]);
});

test('a model whose output is a feature map, or has too few classes, is refused with one line naming it', async () => {
  const data = colourFolder(join(T, 'colours-out'), 1);
  const [fmap, few] = await hwqAll([
    ['eval', featureMapModel(join(T, 'fmap.onnx')), '--data', data, '--preprocess', 'cifar10'],
    ['eval', colourModel(join(T, 'two.onnx'), [0, 1, 1], 2), '--data', data],
  ]);
  assert.match(userError(fmap, 'feature-map output'), /model '.*fmap\.onnx' output 'y' has shape \[N, 3, 32, 32\]; evaluation needs class scores shaped \[batch, classes\]/);
  assert.match(userError(few, 'two classes for three labels'), /data set '.*colours-out' has labels up to 2 but model '.*two\.onnx' output 'y' \[N, 2\] gives only 2 classes/);
});

withShared(test, 'CIFAR-10 test, --limit 100: ten images from each of the 10 classes; --first 100: airplanes only',
  [['models', 'cifar10-resnet20.onnx'], ['data', 'cifar10', 'test']], async ([model, data]) => {
  const [limit, first] = await hwqAll([
    ['eval', model, '--data', data, '--limit', '100', '--per-class', '--json', '--no-progress'],
    ['eval', model, '--data', data, '--first', '100', '--per-class', '--json', '--no-progress'],
  ]);
  assert.is(limit.code, 0, limit.stderr);
  assert.is(limit.stderr, 'sampled 100 of 10000 images, stratified over 10 classes, seed 0\n');
  const l = JSON.parse(limit.stdout) as EvalJson;
  assert.equal(Object.keys(l.perClass).map(Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(Object.values(l.perClass).every((c) => c.total === 10), JSON.stringify(l.perClass));
  assert.equal(l.sampling.sampledClasses, 10);
  const f = JSON.parse(first.stdout) as EvalJson;
  assert.equal(Object.keys(f.perClass), ['0']);
  assert.match(first.stderr, /covering 1 of 10 classes/);
});

test.after(() => rmSync(T, { recursive: true, force: true }));

test.run();
