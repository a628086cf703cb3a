// Small inputs for the quantize command's tests: a valid CNN built in code and folders of flat images.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { saveModel } from '../../src/onnx/proto.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { tempDir } from '../helpers.js';

/** A small valid CNN on 3x32x32 inputs (Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm). */
export function tinyCnn(path: string): void {
  saveModel(path, buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 32, 32] }],
    outputs: [{ name: 'y', dims: [1, 10] }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w: floatTensor([4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => ((i * 37) % 11) / 11 - 0.5)), b: floatTensor([4], [0, 0.1, -0.1, 0.2]),
      fw: floatTensor([10, 4], Array.from({ length: 40 }, (_, i) => ((i * 13) % 7) / 7 - 0.5)), fb: floatTensor([10]),
    },
  }));
}

/** class-folder images of w x h pixels. */
export function imageFolder(dir: string, w: number, h: number): void {
  for (const cls of ['a', 'b']) {
    mkdirSync(join(dir, cls), { recursive: true });
    const png = new PNG({ width: w, height: h });
    png.data.fill(128);
    writeFileSync(join(dir, cls, 'img0.png'), PNG.sync.write(png));
  }
}

/** `perClass` seeded random w x h images in each of `classes` class folders (c0, c1, ...). */
export function noisyImageFolder(dir: string, classes: number, perClass: number, w: number, h: number, seed = 1): void {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  for (let c = 0; c < classes; c++) {
    mkdirSync(join(dir, `c${c}`), { recursive: true });
    for (let k = 0; k < perClass; k++) {
      const png = new PNG({ width: w, height: h });
      for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : next();
      writeFileSync(join(dir, `c${c}`, `img${k}.png`), PNG.sync.write(png));
    }
  }
}

/** The tiny CNN and a flat image folder in a fresh temporary folder, and the quantize arguments every test shares. */
export function tinyQuantizeSetup(prefix: string): { dir: string; cnn: string; images: string; common: string[] } {
  const dir = tempDir(prefix);
  const cnn = join(dir, 'cnn.onnx');
  tinyCnn(cnn);
  const images = join(dir, 'images');
  imageFolder(images, 32, 32);
  return { dir, cnn, images, common: [cnn, '--calib', images, '--sqnr-images', '0', '--no-progress'] };
}
