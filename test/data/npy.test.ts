// The .npy reader: header versions, every supported number type converted exactly, reads of a stack's middle,
// and the refusals (Fortran order, big-endian, other types, damaged files) naming the file; then .npy data sets:
// one sample or a stack per file, labels from --labels or beside the samples, and batches of the raw values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpyHeader, readNpy, readNpyHeader, readNpySamples } from '../../src/data/npy.js';
import { openDataSet } from '../../src/data/dataset.js';
import { batches } from '../../src/data/batches.js';
import { npyBytes, writeNpy, type NpyDescr } from '../compat/models.js';
import { tempDir } from './fixtures.js';
import { throwsUser } from '../helpers.js';

test('every supported type reads back as float32, negative and large values included', () => {
  const dir = tempDir();
  const cases: [NpyDescr, number[]][] = [
    ['<f4', [1.5, -2.25, 3e-5]], ['<f8', [0.1, -1e10, 7]], ['<i2', [-32768, 0, 32767]], ['<i4', [-5, 70000, 1]],
    ['<i8', [-(2 ** 40), 2 ** 40 + 1, 3]], ['|u1', [0, 128, 255]],
  ];
  for (const [descr, values] of cases) {
    const { shape, data } = readNpy(writeNpy(join(dir, `${descr.slice(1)}.npy`), [3], values, descr));
    assert.equal(shape, [3]);
    assert.equal(Array.from(data), values.map(Math.fround), descr);
  }
  // i1 and u2 by hand: the test writer has no such types
  for (const [descr, bytes, want] of [['|i1', [0xff, 0x7f], [-1, 127]], ['<u2', [0xff, 0xff, 0x01, 0x00], [65535, 1]]] as const) {
    const b = Buffer.from(npyBytes([want.length], [], '|u1').toString('latin1').replace('|u1', descr), 'latin1');
    const p = join(dir, `${descr.slice(1)}.npy`);
    writeFileSync(p, Buffer.concat([b, Buffer.from(bytes)]));
    assert.equal(Array.from(readNpy(p).data), [...want], descr);
  }
});

test('header: versions 1 and 2, one-element and empty shapes, the data offset after the padding', () => {
  const v1 = npyBytes([2, 3], [1, 2, 3, 4, 5, 6]);
  const h = parseNpyHeader(v1, 'v1');
  assert.equal([h.dtype, h.shape, h.dataOffset % 64], ['f4', [2, 3], 0]);
  assert.equal(parseNpyHeader(npyBytes([7], []), 'x').shape, [7]);
  assert.equal(parseNpyHeader(npyBytes([], [1]), 'x').shape, []);
  // version 2: a 4-byte header length
  const header = v1.subarray(10, h.dataOffset);
  const v2 = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, header.length, 0, 0, 0]), header]);
  assert.equal(parseNpyHeader(v2, 'v2').shape, [2, 3]);
  assert.is(parseNpyHeader(v2, 'v2').dataOffset, 12 + header.length);
});

test('samples from the middle of a stack, and a header longer than the first read', () => {
  const dir = tempDir();
  const values = Array.from({ length: 24 }, (_, i) => i);
  const p = writeNpy(join(dir, 's.npy'), [4, 2, 3], values, '<f8');
  const h = readNpyHeader(p);
  assert.equal(Array.from(readNpySamples(p, h, 1, 2, 6)), values.slice(6, 18));
  // a long shape tuple pushes the header past 256 bytes
  const long = new Array(60).fill(1);
  assert.equal(readNpyHeader(writeNpy(join(dir, 'long.npy'), long, [5])).shape, long);
});

test('refusals name the file: Fortran order, big-endian, other types, not .npy, cut short', () => {
  const dir = tempDir();
  throwsUser(() => readNpy(writeNpy(join(dir, 'f.npy'), [2, 2], [1, 2, 3, 4], '<f4', true)), /'.*f\.npy' is stored in Fortran \(column-major\) order/);
  const swap = (descr: string) => Buffer.from(npyBytes([2], [1, 2]).toString('latin1').replace('<f4', descr), 'latin1');
  throwsUser(() => parseNpyHeader(swap('>f4'), 'big.npy'), /'big\.npy' holds big-endian values; hwq reads little-endian f4, f8, i1, i2, i4, i8, u1, u2/);
  throwsUser(() => parseNpyHeader(swap('<c8'), 'c.npy'), /'c\.npy' holds data type '<c8'/);
  throwsUser(() => parseNpyHeader(swap('|O8'), 'o.npy'), /'o\.npy' holds data type '\|O8'/);
  throwsUser(() => parseNpyHeader(Buffer.from('PK\x03\x04 a zip'), 'z.npz'), /'z\.npz' is not a readable \.npy file: it does not start with the \.npy magic/);
  const cut = writeNpy(join(dir, 'cut.npy'), [10], new Array(10).fill(1));
  const whole = npyBytes([10], new Array(10).fill(1));
  writeFileSync(cut, whole.subarray(0, whole.length - 8));
  throwsUser(() => readNpy(cut), /'.*cut\.npy' ends early/);
  writeFileSync(cut, whole.subarray(0, 40));
  throwsUser(() => readNpy(cut), /'.*cut\.npy' is not a readable \.npy file: the header is cut short/);
});

test('an .npy folder: single samples and stacks in file-name order, labels.txt found beside them and skipped as data', async () => {
  const dir = tempDir();
  writeNpy(join(dir, 'b.npy'), [2, 2, 3], Array.from({ length: 12 }, (_, i) => 10 + i));
  writeNpy(join(dir, 'a.npy'), [2, 3], [0, 1, 2, 3, 4, 5], '<i4');
  writeFileSync(join(dir, 'labels.txt'), '2\n0\n1\n');
  const d = openDataSet(dir, { sampleDims: [2, 3] });
  assert.equal([d.layout, d.total, d.unlabelled], ['npy', 3, undefined]);
  assert.equal(d.samples.map((s) => s.label), [2, 0, 1]);
  const got: number[][] = [];
  for await (const b of batches(d.samples, { kind: 'tensor', name: 'npy', dims: [2, 3] }, { batchSize: 2, workers: 0 })) got.push(Array.from(b.data));
  assert.equal(got, [[0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21]]);
  // one [2, 3] array read for [3] samples is a stack of two
  const single = openDataSet(join(dir, 'a.npy'), { sampleDims: [3] });
  assert.equal([single.total, single.unlabelled], [2, true]);
  throwsUser(() => openDataSet(dir, { sampleDims: [3, 2] }), /'.*a\.npy' holds an array of shape 2x3 but the model takes 3x2 per sample/);
  throwsUser(() => openDataSet(dir), /holds \.npy arrays: reading them needs the model input's dims per sample/);
});

test('npy labels: an explicit text or 1-D integer .npy file; counts and values checked', () => {
  const dir = tempDir();
  writeNpy(join(dir, 'data', 'x.npy'), [3, 4], new Array(12).fill(0));
  const npyLabels = writeNpy(join(dir, 'y.npy'), [3], [4, 0, 2], '<i8');
  assert.equal(openDataSet(join(dir, 'data'), { sampleDims: [4], labels: npyLabels }).samples.map((s) => s.label), [4, 0, 2]);
  const bad = writeNpy(join(dir, 'bad.npy'), [3], [1, 0.5, 2]);
  throwsUser(() => openDataSet(join(dir, 'data'), { sampleDims: [4], labels: bad }), /labels file '.*bad\.npy' entry 1: 0\.5 is not a class index/);
  const twoD = writeNpy(join(dir, 'twod.npy'), [3, 1], [1, 0, 2]);
  throwsUser(() => openDataSet(join(dir, 'data'), { sampleDims: [4], labels: twoD }), /has shape 3x1; labels are a 1-D array/);
  const text = join(dir, 'l.txt');
  writeFileSync(text, '1\n-2\n0\n');
  throwsUser(() => openDataSet(join(dir, 'data'), { sampleDims: [4], labels: text }), /line 2: '-2' is not a class index/);
});

test.run();
