// IDX files (the MNIST / Fashion-MNIST container): a 4-byte magic (0, 0, type, rank), `rank` big-endian uint32
// dimensions, then the values row-major. Only unsigned bytes (type 0x08) occur in the image data sets.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses IDX bytes (already gunzipped). `name` labels error messages. */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new UserError(`'${name}' is not an IDX file (bad magic)`);
  const type = bytes[2];
  const rank = bytes[3];
  if (type !== UBYTE) throw new UserError(`'${name}': IDX element type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  if (rank < 1) throw new UserError(`'${name}': IDX rank is 0`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new UserError(`'${name}': IDX header truncated`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== count) {
    throw new UserError(`'${name}': IDX dimensions ${dims.join('x')} need ${count} bytes of data but the file has ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Reads an IDX file, gunzipping it when it starts with the gzip magic (Debian ships them as .gz). */
export function readIdxFile(path: string): IdxArray {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read IDX file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw);
    } catch (e) {
      throw new UserError(`cannot read IDX file '${path}': corrupt gzip data (${(e as Error).message})`);
    }
  }
  return parseIdx(raw, path);
}

/** Image/label pair naming: `t10k-images-idx3-ubyte.gz` <-> `t10k-labels-idx1-ubyte.gz`. */
export function idxLabelsPathFor(imagesPath: string): string | undefined {
  const m = /^(.*)images-idx3-ubyte(\.gz)?$/.exec(imagesPath);
  return m ? `${m[1]}labels-idx1-ubyte${m[2] ?? ''}` : undefined;
}

export function isIdxImagesName(name: string): boolean {
  return /images-idx3-ubyte(\.gz)?$/.test(name) || /\.idx3(-ubyte)?(\.gz)?$/.test(name);
}
