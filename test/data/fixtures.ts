// Synthetic image folders for the data tests: PNG (lossless, so pixel values are exact) and JPEG files written
// into a fresh temp dir.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { tempDir as removedTempDir } from '../helpers.js';

/** A fresh folder, removed when the test process exits. */
export const tempDir = (prefix = 'hwq-data-'): string => removedTempDir(prefix);

/** RGB pixel at (x, y) -> [r, g, b]. */
export type PixelFn = (x: number, y: number) => [number, number, number];

export function pngBytes(width: number, height: number, px: PixelFn): Buffer {
  const png = new pngjs.PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = px(x, y);
      const i = (y * width + x) * 4;
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = 255;
    }
  }
  return pngjs.PNG.sync.write(png);
}

export function jpegBytes(width: number, height: number, px: PixelFn, quality = 100): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = px(x, y);
      const i = (y * width + x) * 4;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = 255;
    }
  }
  return jpeg.encode({ width, height, data }, quality).data;
}

export function writeAt(root: string, rel: string, bytes: Uint8Array | string): string {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
  return p;
}

export const solid = (r: number, g: number, b: number): PixelFn => () => [r, g, b];

/** IDX bytes for unsigned-byte data with the given dimensions. */
export function idxBytes(dims: number[], values: ArrayLike<number>, gzip = false): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const raw = Buffer.concat([header, Buffer.from(Uint8Array.from(values))]);
  return gzip ? gzipSync(raw) : raw;
}
