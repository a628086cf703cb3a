// Decoding JPEG and PNG files into 8-bit interleaved pixels. Both decoders are pure JS (jpeg-js, pngjs) so the
// accuracy numbers do not depend on a native libjpeg build; jpeg-js's chroma upsampling is what the model
// README's "jpeg-js" figures were measured with.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';

/** Decoded pixels, row-major, `channels` interleaved bytes per pixel (1 = gray, 3 = RGB). */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export type ImageFormat = 'jpeg' | 'png';

/** File extensions the folder scanners treat as images (compared lower-case). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Recognizes the format by its magic bytes, not the name, so a mislabelled file still decodes. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

/** Decodes JPEG or PNG bytes; `name` only labels the error message. Alpha is dropped (not composited). */
export function decodeImage(bytes: Uint8Array, name: string): RawImage {
  const format = sniffFormat(bytes);
  if (!format) throw new UserError(`cannot read image '${name}': not a JPEG or PNG file`);
  try {
    return format === 'jpeg' ? decodeJpeg(bytes) : decodePng(bytes);
  } catch (e) {
    throw new UserError(`cannot read image '${name}': corrupt ${format.toUpperCase()} data (${(e as Error).message})`);
  }
}

export function readImageFile(path: string): RawImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read image '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeImage(bytes, path);
}

function decodeJpeg(bytes: Uint8Array): RawImage {
  // jpeg-js expands gray JPEGs to 3 equal channels when formatAsRGBA is false.
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  if (!img.width || !img.height || img.data.length !== img.width * img.height * 3) {
    throw new Error(`decoder returned ${img.width}x${img.height} with ${img.data.length} bytes`);
  }
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}

function decodePng(bytes: Uint8Array): RawImage {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const { width, height } = png;
  const rgba = png.data;
  if (rgba.length !== width * height * 4) throw new Error(`decoder returned ${rgba.length} bytes for ${width}x${height}`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { width, height, channels: 3, data: rgb };
}
