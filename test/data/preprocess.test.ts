// Exact pixel values through decode -> resize -> crop -> normalize, IDX parsing, and deterministic batching.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../src/errors.js';
import { decodeImage, readImageFile, type RawImage } from '../../src/data/image.js';
import { parseIdx, readIdxFile } from '../../src/data/idx.js';
import { openDataSet } from '../../src/data/dataset.js';
import { batches } from '../../src/data/batches.js';
import {
  PRESETS, fitForCrop, preprocess, resizeBilinear, resizeShorterSide, resolvePreprocess, type PreprocessSpec,
} from '../../src/data/preprocess.js';
import { idxBytes, jpegBytes, pngBytes, solid, tempDir, writeAt } from './fixtures.js';
import { rng } from '../helpers.js';

const norm = (v: number, m: number, s: number): number => Math.fround((v / 255 - m) / s);
const pattern = (x: number, y: number): [number, number, number] => [(x * 7 + y) % 256, (y * 5 + 3) % 256, (x + 2 * y) % 256];

test('imagenet preset: 227x227 keeps the central 224x224 (offset 1) with ImageNet mean/std per channel', () => {
  const root = tempDir();
  const img = readImageFile(writeAt(root, 'v.png', pngBytes(227, 227, pattern)));
  const spec = PRESETS.imagenet;
  const out = preprocess(img, spec);
  assert.is(out.length, 3 * 224 * 224);
  const plane = 224 * 224;
  for (const [x, y] of [[0, 0], [223, 0], [0, 223], [100, 37], [223, 223]]) {
    const [r, g, b] = pattern(x + 1, y + 1);
    assert.is(out[y * 224 + x], norm(r, 0.485, 0.229));
    assert.is(out[plane + y * 224 + x], norm(g, 0.456, 0.224));
    assert.is(out[2 * plane + y * 224 + x], norm(b, 0.406, 0.225));
  }
});

test('a non-square output: cover resize (64x32 -> 48x24 for 24x40), then the central 40 columns', () => {
  const img: RawImage = { width: 64, height: 32, channels: 3, data: new Uint8Array(64 * 32 * 3) };
  for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) img.data.set(pattern(x, y), (y * 64 + x) * 3);
  const spec = resolvePreprocess('cifar10', { crop: { height: 24, width: 40 }, resize: 'cover' });
  const scaled = resizeBilinear(img, 48, 24);
  const out = preprocess(img, spec);
  assert.is(out.length, 3 * 24 * 40);
  for (const [x, y] of [[0, 0], [39, 0], [0, 23], [17, 11], [39, 23]]) {
    assert.is(out[y * 40 + x], norm(scaled.data[(y * 48 + x + 4) * 3], 0.485, 0.229), `(${x}, ${y})`);
  }
});

test('imagenet preset on a short-side-256 image: central crop, offsets floor((341-224)/2)=58 and 16', () => {
  const img: RawImage = { width: 341, height: 256, channels: 3, data: new Uint8Array(341 * 256 * 3) };
  for (let y = 0; y < 256; y++) for (let x = 0; x < 341; x++) img.data.set(pattern(x, y), (y * 341 + x) * 3);
  const out = preprocess(img, PRESETS.imagenet);
  assert.is(out[0], norm(pattern(58, 16)[0], 0.485, 0.229));
  assert.is(out[5 * 224 + 9], norm(pattern(67, 21)[0], 0.485, 0.229));
});

test('cifar10 is 32x32 as is; bgr swaps channels and reverses the preset mean/std; gray uses BT.601 luma', () => {
  const img = decodeImage(pngBytes(32, 32, pattern), 'p.png');
  const rgb = preprocess(img, PRESETS.cifar10);
  const at = (x: number, y: number, c: number): number => rgb[c * 1024 + y * 32 + x];
  assert.is(at(5, 6, 0), norm(pattern(5, 6)[0], 0.485, 0.229));
  assert.is(at(31, 31, 2), norm(pattern(31, 31)[2], 0.406, 0.225));
  const bgr = preprocess(img, resolvePreprocess('cifar10', { channels: 'bgr' }));
  assert.is(bgr[0 * 1024 + 6 * 32 + 5], norm(pattern(5, 6)[2], 0.406, 0.225));
  assert.is(bgr[2 * 1024 + 6 * 32 + 5], norm(pattern(5, 6)[0], 0.485, 0.229));
  const gray = preprocess(img, resolvePreprocess('cifar10', { channels: 'gray', mean: [0.5], std: [0.25] }));
  assert.is(gray.length, 1024);
  const [r, g, b] = pattern(5, 6);
  assert.is(gray[6 * 32 + 5], norm(Math.round(0.299 * r + 0.587 * g + 0.114 * b), 0.5, 0.25));
});

test('fashion-mnist: 28x28 gray with mean 0.2860 std 0.3530; a gray image fed to an RGB preset repeats its channel', () => {
  const data = Uint8Array.from({ length: 784 }, (_, i) => (i * 13) % 256);
  const img: RawImage = { width: 28, height: 28, channels: 1, data };
  const out = preprocess(img, PRESETS['fashion-mnist']);
  assert.is(out.length, 784);
  assert.is(out[100], norm(data[100], 0.286, 0.353));
  const rgb = preprocess(img, resolvePreprocess('cifar10', { crop: 28, mean: [0], std: [1] }));
  assert.is(rgb[784 + 100], norm(data[100], 0, 1));
  assert.is(rgb[2 * 784 + 100], norm(data[100], 0, 1));
});

test('bilinear resize with half-pixel centers; shorter-side resize keeps the aspect ratio', () => {
  const img: RawImage = { width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 100]) };
  // Output centers at 0.25 and 0.75 of each source pixel: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
  assert.equal([...resizeBilinear(img, 4, 1).data], [0, 25, 75, 100]);
  const down: RawImage = { width: 4, height: 2, channels: 1, data: Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70]) };
  assert.equal([...resizeBilinear(down, 2, 1).data], [25, 45]);
  const big: RawImage = { width: 341, height: 256, channels: 3, data: new Uint8Array(341 * 256 * 3) };
  const r = resizeShorterSide(big, 128);
  assert.equal([r.width, r.height], [171, 128]);
  // Smaller than the crop: scaled up until both sides cover it.
  const small = fitForCrop({ width: 20, height: 10, channels: 3, data: new Uint8Array(600) }, PRESETS.cifar10);
  assert.equal([small.width, small.height], [64, 32]);
  const spec: PreprocessSpec = resolvePreprocess('imagenet', { resize: 256 });
  assert.equal([spec.resize, spec.height, spec.width, spec.name], [256, 224, 224, 'custom']);
});

test('preprocess options are validated with the valid choices named', () => {
  const bad = (fn: () => unknown, re: RegExp): void => {
    try {
      fn();
      assert.unreachable('expected a UserError');
    } catch (e) {
      assert.instance(e, UserError);
      assert.match((e as Error).message, re);
    }
  };
  bad(() => resolvePreprocess('mnist'), /unknown preprocess preset 'mnist': valid choices are imagenet, cifar10, fashion-mnist/);
  bad(() => resolvePreprocess('imagenet', { channels: 'gray' }), /needs 1; pass --mean/);
  bad(() => resolvePreprocess('imagenet', { mean: [0.1, 0.2] }), /mean has 2 values/);
  bad(() => resolvePreprocess('imagenet', { std: [0] }), /std values must be positive/);
  bad(() => resolvePreprocess('imagenet', { crop: 0 }), /invalid crop 0/);
});

test('JPEG decoding (jpeg-js): a flat colour comes back within 2 levels, a gray JPEG as 3 equal channels', () => {
  const img = decodeImage(jpegBytes(16, 16, solid(200, 40, 90)), 'flat.jpg');
  assert.equal([img.width, img.height, img.channels], [16, 16, 3]);
  for (const [c, v] of [[0, 200], [1, 40], [2, 90]]) assert.ok(Math.abs(img.data[5 * 3 * 16 + 3 * 7 + c] - v) <= 2, `channel ${c}`);
  const gray = decodeImage(jpegBytes(8, 8, solid(77, 77, 77)), 'g.jpg');
  assert.is(gray.data[0], gray.data[1]);
  assert.is(gray.data[1], gray.data[2]);
});

test('IDX: header, dimensions and values; gzip detected by magic; size mismatch and bad magic rejected', () => {
  const values = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const a = parseIdx(idxBytes([2, 3, 4], values), 'a');
  assert.equal(a.dims, [2, 3, 4]);
  assert.equal([...a.data], values);
  const dir = tempDir();
  const imgs = writeAt(dir, 'tiny-images-idx3-ubyte.gz', idxBytes([2, 3, 4], values, true));
  writeAt(dir, 'tiny-labels-idx1-ubyte.gz', idxBytes([2], [7, 1], true));
  assert.equal(readIdxFile(imgs).dims, [2, 3, 4]);
  const d = openDataSet(dir);
  assert.is(d.layout, 'idx');
  assert.equal(d.samples.map((s) => s.label), [7, 1]);
  const s1 = d.samples[1].source;
  assert.ok(s1.kind === 'pixels' && s1.image.width === 4 && s1.image.height === 3 && s1.image.data[0] === 120);
  assert.throws(() => parseIdx(Buffer.from([1, 0, 8, 1, 0, 0, 0, 1, 5]), 'x'), /bad magic/);
  assert.throws(() => parseIdx(idxBytes([3], [1, 2, 3]).subarray(0, 10), 'x'), /need 3 bytes of data but the file has 2/);
  writeAt(dir, 'tiny-labels-idx1-ubyte.gz', idxBytes([3], [7, 1, 2], true));
  assert.throws(() => openDataSet(dir), /holds 2 images but .* holds 3 labels/);
});

const FASHION = '/usr/share/datasets/fashion-mnist';
const fashion = readIdxExists(`${FASHION}/t10k-images-idx3-ubyte.gz`);
function readIdxExists(p: string): boolean {
  try {
    readIdxFile(p);
    return true;
  } catch {
    return false;
  }
}
(fashion ? test : test.skip)('real Fashion-MNIST test split: 10,000 images of 28x28, 1,000 per class', () => {
  const d = openDataSet(FASHION);
  assert.is(d.total, 10000);
  const s = d.samples[0].source;
  assert.ok(s.kind === 'pixels' && s.image.width === 28 && s.image.height === 28 && s.image.channels === 1);
  const perClass = new Array(10).fill(0);
  for (const x of d.samples) perClass[x.label]++;
  assert.equal(perClass, new Array(10).fill(1000));
  assert.is(d.samples[0].label, 9); // the first t10k item is an ankle boot
});
if (!fashion) console.log(`  skip 'real Fashion-MNIST': ${FASHION} absent (apt-get install dataset-fashion-mnist)`);

test('batches: worker threads and the main thread give bit-identical NCHW batches in order', async () => {
  const root = tempDir();
  const r = rng(5);
  for (let i = 0; i < 23; i++) {
    const base = Math.floor(r() * 200);
    const bytes = i % 2 ? pngBytes(40, 36, (x, y) => [(base + x) % 256, (base + y) % 256, (x * y) % 256]) : jpegBytes(40, 36, (x, y) => [(base + x) % 256, y * 3, 90]);
    writeAt(root, `c${i % 3}/${i}.${i % 2 ? 'png' : 'jpg'}`, bytes);
  }
  const d = openDataSet(root);
  const spec = PRESETS.cifar10;
  const collect = async (workers: number): Promise<{ data: number[]; labels: number[]; counts: number[] }> => {
    const out = { data: [] as number[], labels: [] as number[], counts: [] as number[] };
    for await (const b of batches(d.samples, spec, { batchSize: 5, workers })) {
      out.data.push(...b.data);
      out.labels.push(...b.labels);
      out.counts.push(b.count);
    }
    return out;
  };
  const main = await collect(0);
  const threads = await collect(2);
  assert.equal(main.counts, [5, 5, 5, 5, 3]);
  assert.equal(threads.counts, main.counts);
  assert.equal(threads.labels, d.samples.map((s) => s.label));
  assert.ok(threads.data.length === 23 * 3 * 32 * 32 && threads.data.every((v, i) => Object.is(v, main.data[i])));
  // A corrupt file inside a worker batch still surfaces as a UserError naming it.
  writeAt(root, 'c1/zz-bad.png', Buffer.from('junk'));
  const bad = openDataSet(root);
  try {
    for await (const _ of batches(bad.samples, spec, { batchSize: 4, workers: 2 })) void _;
    assert.unreachable('expected a UserError');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /zz-bad\.png': not a JPEG or PNG file/);
  }
});

test.run();
