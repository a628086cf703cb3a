// Data set layouts, label mapping, deterministic sampling and the user-facing errors, on synthetic folders.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openDataSet, parseLabelsCsv, parseSynsetList, sampleName, type DataSet } from '../../src/data/dataset.js';
import { classShares, sample, seededShuffle, stratifiedSample } from '../../src/data/sampling.js';
import { mulberry32 } from '../../src/random.js';
import { decodeBatch } from '../../src/data/decode-batch.js';
import { resolvePreprocess } from '../../src/data/preprocess.js';
import { pngBytes, solid, tempDir, writeAt, jpegBytes } from './fixtures.js';
import { throwsUser } from '../helpers.js';

const png = pngBytes(4, 4, solid(10, 20, 30));
/** Last two path parts (class/file) of every sample. */
const names = (d: DataSet): string[] => d.samples.map((s) => sampleName(s).split('/').slice(-2).join('/'));

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
  const withHeader = parseLabelsCsv('file,class\r\na.png,1\n\n"b,2.png",2\n', 'x.csv');
  // line numbers count the blank lines, so a message points at the line an editor shows
  assert.equal(withHeader, [{ file: 'a.png', cls: '1', line: 2 }, { file: 'b,2.png', cls: '2', line: 4 }]);
});

test('labels CSV: indices and names never mix; a number that is no index is refused with its line', () => {
  const root = tempDir();
  const files = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}.png`);
  for (const f of files) writeAt(root, f, png);
  const csv = (cls: (i: number) => string, header = true): string =>
    writeAt(tempDir(), 'labels.csv', `${header ? 'file,class\n' : ''}${files.map((f, i) => `${f},${cls(i)}`).join('\n')}\n`);
  // line 17 is the 16th row after the header
  throwsUser(() => openDataSet(root, { labels: csv((i) => (i === 15 ? '-3' : String(i % 10))) }),
    /labels\.csv' line 17: class '-3' is not a class index \(an integer >= 0\) while the other lines are indices/);
  throwsUser(() => openDataSet(root, { labels: csv((i) => (i === 4 ? '2.5' : String(i % 10))) }), /line 6: class '2\.5' is not a class index/);
  throwsUser(() => openDataSet(root, { labels: csv((i) => (i === 9 ? '7o' : String(i % 10)), false) }), /labels\.csv' line 10: class '7o' is not a class index .* while the other lines are indices/);
  throwsUser(() => openDataSet(root, { labels: csv((i) => (i === 2 ? '3' : ['cat', 'dog'][i % 2])) }), /line 4: class '3' is a number while the other lines are class names/);
  throwsUser(() => openDataSet(root, { labels: csv(() => '-1') }), /line 2: class '-1' is not a class index .* and no line holds a class index/);
  // the same rule in a labels.csv found inside the data folder
  writeAt(root, 'labels.csv', `${files.map((f, i) => `${f},${i === 19 ? 'x' : i % 3}`).join('\n')}\n`);
  throwsUser(() => openDataSet(root), /line 20: class 'x' is not a class index/);
  // all indices (leading zeros allowed) and all names still work
  assert.equal(openDataSet(root, { labels: csv((i) => (i < 10 ? '007' : '3')) }).samples.map((s) => s.label), [...Array(10).fill(7), ...Array(10).fill(3)]);
  const named = openDataSet(root, { labels: csv((i) => ['b-3', 'a2.5'][i % 2]) });
  assert.equal(named.classes, ['a2.5', 'b-3']);
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
  // with a synset list, a mistyped wnid is refused instead of every wnid becoming a sorted name
  const typo = writeAt(wdir, 'typo.csv', '1.png,n00000001\n2.png,n0000OOO2\n3.png,n00000003\n');
  throwsUser(() => openDataSet(root, { labels: typo }), /typo\.csv' line 2: class 'n0000OOO2' is not a wnid listed in the synset list '.*synset_words\.txt'/);
  const unlisted = writeAt(wdir, 'unlisted.csv', '1.png,n00000001\n2.png,n00000009\n');
  throwsUser(() => openDataSet(root, { labels: unlisted }), /unlisted\.csv' line 2: class 'n00000009' is not a wnid listed/);
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

test('classShares: equal shares summing to the limit, small classes give all they have', () => {
  const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
  assert.equal(classShares([1000, 1000, 1000, 1000], 8, mulberry32(0)), [2, 2, 2, 2]);
  assert.equal(classShares([3, 5], 100, mulberry32(0)), [3, 5]);
  // a class with fewer images than its share: the others make up the difference
  assert.equal(classShares([50, 2, 50], 30, mulberry32(0)), [14, 2, 14]);
  assert.equal(classShares([50, 2, 0, 50], 31, mulberry32(0)).map((x, i) => (i === 1 || i === 2 ? x : 'big')), ['big', 2, 0, 'big']);
  const g = mulberry32(5);
  for (let trial = 0; trial < 300; trial++) {
    const counts = Array.from({ length: 1 + Math.floor(g() * 12) }, () => Math.floor(g() * 40));
    const total = sum(counts);
    const limit = 1 + Math.floor(g() * (total + 10));
    const shares = classShares(counts, limit, mulberry32(trial));
    const ctx = `counts ${counts} limit ${limit} -> ${shares}`;
    assert.is(sum(shares), Math.min(limit, total), ctx);
    assert.ok(shares.every((s, i) => s >= 0 && s <= counts[i]), ctx);
    // every class that still had images left got within 1 of the largest share
    const top = Math.max(...shares);
    assert.ok(shares.every((s, i) => s === counts[i] || s >= top - 1), ctx);
  }
});

test('stratifiedSample: exact size, every class its share, deterministic per seed, seeds differ', () => {
  // 10 classes of 100, as in a class-folder set: the first 50 in sorted order would all be class 0
  const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, cls: Math.floor(i / 100) }));
  const classOf = (x: { cls: number }): number => x.cls;
  const a = stratifiedSample(items, classOf, 50, 0);
  assert.is(a.length, 50);
  assert.is(new Set(a.map((x) => x.id)).size, 50);
  for (let c = 0; c < 10; c++) assert.is(a.filter((x) => x.cls === c).length, 5, `class ${c}`);
  assert.equal(stratifiedSample(items, classOf, 50, 0), a);
  assert.not.equal(stratifiedSample(items, classOf, 50, 1).map((x) => x.id), a.map((x) => x.id));
  // a random order: the first ten already mix several classes
  assert.ok(new Set(a.slice(0, 10).map(classOf)).size > 3, a.slice(0, 10).map(classOf).join(' '));
  // 53 = 10 x 5 + 3: three classes (random) get a sixth image
  const b = stratifiedSample(items, classOf, 53, 7);
  const per = Array.from({ length: 10 }, (_, c) => b.filter((x) => x.cls === c).length).sort();
  assert.equal(per, [5, 5, 5, 5, 5, 5, 5, 6, 6, 6]);
  // a class with 2 items gives both; the rest fill the limit
  const uneven = [...items.slice(0, 200), { id: 5000, cls: 7 }, { id: 5001, cls: 7 }];
  const u = stratifiedSample(uneven, classOf, 30, 3);
  assert.equal([u.length, u.filter((x) => x.cls === 7).length, u.filter((x) => x.cls === 0).length], [30, 2, 14]);
  // more asked than there are: every item once
  assert.equal(stratifiedSample(uneven, classOf, 5000, 3).map((x) => x.id).sort((x, y) => x - y), uneven.map((x) => x.id));
  throwsUser(() => stratifiedSample(items, classOf, 0, 0), /invalid limit 0/);
});

test('openDataSet with stratify: an equal share of every class folder, and how it sampled', () => {
  const root = tempDir();
  for (let c = 0; c < 3; c++) for (let i = 0; i < 4; i++) writeAt(root, `c${c}/${i}.png`, png);
  const d = openDataSet(root, { limit: 6, stratify: true });
  assert.equal(d.samples.map((s) => s.label).sort(), [0, 0, 1, 1, 2, 2]);
  assert.equal(d.sampling, { mode: 'stratified', seed: 0, classes: 3, sampledClasses: 3 });
  assert.equal(names(openDataSet(root, { limit: 6, stratify: true, seed: 0 })), names(d));
  assert.equal(openDataSet(root, { limit: 5 }).sampling, { mode: 'first', seed: null, classes: 3, sampledClasses: 2 });
  assert.equal(openDataSet(root).sampling, { mode: 'all', seed: null, classes: 3, sampledClasses: 3 });
  assert.is(openDataSet(root, { limit: 5, seed: 4 }).sampling.mode, 'shuffled');
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
