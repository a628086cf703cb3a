// Data set layouts, label mapping, deterministic sampling and the user-facing errors, on synthetic folders.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { openDataSet, parseLabelsCsv, parseSynsetList, sampleName, type DataSet } from '../../src/data/dataset.js';
import { mulberry32, sample, seededShuffle } from '../../src/data/sampling.js';
import { decodeBatch } from '../../src/data/decode-batch.js';
import { resolvePreprocess } from '../../src/data/preprocess.js';
import { pngBytes, solid, tempDir, writeAt, jpegBytes } from './fixtures.js';

const png = pngBytes(4, 4, solid(10, 20, 30));
/** Last two path parts (class/file) of every sample. */
const names = (d: DataSet): string[] => d.samples.map((s) => sampleName(s).split('/').slice(-2).join('/'));

function throwsUser(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a UserError matching ${re}`);
}

test('class folders: classes in sorted order, files sorted within each, hidden folders and non-images ignored', () => {
  const root = tempDir();
  for (const f of ['zebra/b.png', 'zebra/a.PNG', 'ant/2.jpg', 'ant/10.jpeg', 'moth/x.png']) writeAt(root, f, f.endsWith('g') && !f.endsWith('png') ? jpegBytes(4, 4, solid(1, 2, 3)) : png);
  writeAt(root, 'moth/readme.txt', 'not an image');
  writeAt(root, '.cache/y.png', png);
  const d = openDataSet(root);
  assert.is(d.layout, 'class-folders');
  assert.equal(d.classes, ['ant', 'moth', 'zebra']);
  assert.equal(names(d), ['ant/10.jpeg', 'ant/2.jpg', 'moth/x.png', 'zebra/a.PNG', 'zebra/b.png']);
  assert.equal(d.samples.map((s) => s.label), [0, 0, 1, 2, 2]);
  assert.is(d.total, 5);
});

test('labels CSV: integer classes, header optional, samples sorted by file name', () => {
  const root = tempDir();
  for (const f of ['c.png', 'a.png', 'b.png']) writeAt(root, f, png);
  writeAt(root, 'labels.csv', 'c.png,7\na.png,3\nb.png,999\n');
  const d = openDataSet(root);
  assert.is(d.layout, 'labels-file');
  assert.equal(d.samples.map((s) => [sampleName(s).slice(-5), s.label]), [['a.png', 3], ['b.png', 999], ['c.png', 7]]);
  const withHeader = parseLabelsCsv('file,class\r\na.png,1\n"b,2.png",2\n', 'x.csv');
  assert.equal(withHeader, [{ file: 'a.png', cls: '1' }, { file: 'b,2.png', cls: '2' }]);
});

test('labels CSV with class names maps them in sorted order; wnids map through a synset list', () => {
  const root = tempDir();
  for (const f of ['1.png', '2.png', '3.png']) writeAt(root, f, png);
  const csv = writeAt(tempDir(), 'named.csv', 'file,class\n1.png,dog\n2.png,cat\n3.png,dog\n');
  const d = openDataSet(root, { labels: csv });
  assert.equal(d.classes, ['cat', 'dog']);
  assert.equal(d.samples.map((s) => s.label), [1, 0, 1]);
  const wdir = tempDir();
  writeAt(wdir, 'synset_words.txt', 'n00000003 three\nn00000001 one, uno\nn00000002 two\n');
  const wcsv = writeAt(wdir, 'w.csv', '1.png,n00000001\n2.png,n00000002\n3.png,n00000003\n');
  assert.equal(openDataSet(root, { labels: wcsv }).samples.map((s) => s.label), [1, 2, 0]);
});

test('ImageNet training-style names take the class from the synset list line', () => {
  const root = tempDir();
  const imgs = join(root, 'calib');
  for (const f of ['n00000002_b.JPEG', 'n00000001_a.png', 'n00000002_a.JPEG']) writeAt(imgs, f, png);
  writeAt(root, 'synset_words.txt', 'n00000002 second\nn00000001 first\n');
  const d = openDataSet(imgs);
  assert.is(d.layout, 'synset-names');
  assert.equal(d.samples.map((s) => [basename(sampleName(s)), s.label]), [['n00000001_a.png', 1], ['n00000002_a.JPEG', 0], ['n00000002_b.JPEG', 0]]);
  throwsUser(() => openDataSet(imgs, { labels: writeAt(tempDir(), 's.txt', 'n00000002 only\n') }), /n00000001_a\.png' does not start with a wnid listed/);
  // wnid-named class folders (a subset of classes) keep the synset list's indices, found in the parent folder.
  const train = join(root, 'train');
  writeAt(train, 'n00000001/x.png', png);
  writeAt(train, 'n00000002/y.png', png);
  assert.equal(openDataSet(train).samples.map((s) => s.label), [1, 0]);
  writeAt(train, 'n00000009/z.png', png);
  throwsUser(() => openDataSet(train), /n00000009' is not a wnid listed in/);
  assert.equal(parseSynsetList('n01440764 tench, Tinca tinca\nn01443537 goldfish\n', 's'), ['n01440764', 'n01443537']);
});

test('seeded sampling is a fixed shuffle; without a seed the first N in sorted order', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);
  assert.equal(sample(items, { limit: 3 }), [0, 1, 2]);
  assert.equal(sample(items, {}), items);
  // Pinned: mulberry32 (first value for seed 1 is the published 0.6270739405...) + Fisher-Yates must not change,
  // or every seeded subset in the reports would move.
  assert.equal(seededShuffle(items, 42), [0, 7, 3, 5, 2, 1, 8, 9, 4, 6]);
  assert.equal(sample(items, { limit: 4, seed: 42 }), [0, 7, 3, 5]);
  assert.equal(sample(items, { limit: 4, seed: 42 }), sample(items, { limit: 4, seed: 42 }));
  assert.not.equal(sample(items, { limit: 4, seed: 43 }), sample(items, { limit: 4, seed: 42 }));
  assert.equal([...seededShuffle(items, 7)].sort((a, b) => a - b), items);
  assert.is(Math.floor(mulberry32(1)() * 1e9), 627073940);
  throwsUser(() => sample(items, { limit: 0 }), /invalid limit 0/);
  throwsUser(() => sample(items, { seed: -1 }), /invalid seed -1/);
});

test('openDataSet applies limit/seed after sorting and reports the full size', () => {
  const root = tempDir();
  for (let c = 0; c < 3; c++) for (let i = 0; i < 4; i++) writeAt(root, `c${c}/${i}.png`, png);
  const first = openDataSet(root, { limit: 5 });
  assert.equal(names(first), ['c0/0.png', 'c0/1.png', 'c0/2.png', 'c0/3.png', 'c1/0.png']);
  assert.is(first.total, 12);
  const seeded = openDataSet(root, { limit: 5, seed: 42 });
  assert.equal(names(seeded), names(openDataSet(root, { limit: 5, seed: 42 })));
  const all = names(openDataSet(root));
  assert.equal(names(seeded), seededShuffle(all, 42).slice(0, 5));
});

test('errors: missing folder, empty folder, unlabelled images, labels naming missing files', () => {
  throwsUser(() => openDataSet('/nonexistent/hwq-data'), /data path '\/nonexistent\/hwq-data' does not exist/);
  const empty = tempDir();
  throwsUser(() => openDataSet(empty), /no images in/);
  mkdirSync(join(empty, 'cls'));
  throwsUser(() => openDataSet(empty), /no images in the class folders/);
  const loose = tempDir();
  writeAt(loose, 'x.png', png);
  throwsUser(() => openDataSet(loose), /holds images but no labels/);
  writeAt(loose, 'labels.csv', 'x.png,0\ngone.png,1\nlost.jpg,2\n');
  throwsUser(() => openDataSet(loose), /names 2 file\(s\) missing from .*: gone\.png, lost\.jpg/);
  throwsUser(() => openDataSet(loose, { labels: join(loose, 'nope.csv') }), /labels file .*nope\.csv' does not exist/);
});

test('a corrupt or non-image file is a UserError naming the file', () => {
  const root = tempDir();
  const bad = writeAt(root, 'a/broken.jpg', Buffer.from('this is not a jpeg'));
  const trunc = writeAt(root, 'a/trunc.png', pngBytes(8, 8, solid(1, 2, 3)).subarray(0, 40));
  const spec = resolvePreprocess('cifar10', { crop: 4 });
  throwsUser(() => decodeBatch([{ kind: 'file', path: bad }], spec), /broken\.jpg': not a JPEG or PNG file/);
  throwsUser(() => decodeBatch([{ kind: 'file', path: trunc }], spec), /trunc\.png': corrupt PNG data/);
  const halfJpeg = writeAt(root, 'a/half.jpg', jpegBytes(16, 16, (x, y) => [x * 9, y * 9, 50]).subarray(0, 200));
  throwsUser(() => decodeBatch([{ kind: 'file', path: halfJpeg }], spec), /half\.jpg': corrupt JPEG data/);
});

test.run();
