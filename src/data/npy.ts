// NumPy .npy files: the magic `\x93NUMPY`, a version, a header length, a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces, then the raw values in C order.
// Little-endian numbers of the common widths are read and converted to float32; anything else is refused by name.
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';

export interface NpyHeader {
  /** Normalized type: a kind and a byte width, e.g. 'f4', 'i8', 'u1'. */
  dtype: NpyType;
  shape: number[];
  /** Byte offset of the first value. */
  dataOffset: number;
}

export const NPY_TYPES = ['f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2'] as const;
export type NpyType = (typeof NPY_TYPES)[number];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export const bytesPer = (t: NpyType): number => Number(t[1]);

/** Values in a sample (or an array) of these dims. */
export const count = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/** Parses the preamble and header dict; `bytes` needs to hold at least the whole header. */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  const bad = (why: string): UserError => new UserError(`'${name}' is not a readable .npy file: ${why}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('it does not start with the .npy magic \\x93NUMPY');
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`format version ${major}.${bytes[7]} is not 1, 2 or 3`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [lenAt, lenSize] = major === 1 ? [8, 2] : [8, 4];
  if (bytes.length < lenAt + lenSize) throw bad('the header is cut short');
  const headerLen = lenSize === 2 ? view.getUint16(lenAt, true) : view.getUint32(lenAt, true);
  const dataOffset = lenAt + lenSize + headerLen;
  if (bytes.length < dataOffset) throw bad('the header is cut short');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(lenAt + lenSize, dataOffset));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(`header ${JSON.stringify(text.trim())} lacks descr, fortran_order or shape`);
  }
  const items = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.some((s) => !/^\d+$/.test(s))) throw bad(`shape (${shapeText}) is not a tuple of sizes`);
  if (fortran === 'True') {
    throw new UserError(`'${name}' is stored in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray) and try again`);
  }
  return { dtype: npyType(descr, name), shape: items.map(Number), dataOffset };
}

/** '<f4', '|u1', '=i2'... -> 'f4', 'u1', 'i2'; big-endian and other kinds are refused naming the file. */
function npyType(descr: string, name: string): NpyType {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const t = m ? `${m[2]}${m[3]}` : '';
  const bigEndian = m?.[1] === '>' && bytesPerDescr(t) > 1;
  if (!m || bigEndian || !(NPY_TYPES as readonly string[]).includes(t)) {
    const why = bigEndian ? 'big-endian values' : `data type '${descr}'`;
    throw new UserError(`'${name}' holds ${why}; hwq reads little-endian ${NPY_TYPES.join(', ')} arrays (e.g. save with .astype('<f4'))`);
  }
  return t as NpyType;
}

const bytesPerDescr = (t: string): number => Number(t.slice(1)) || 0;

/** Reads just the header of an .npy file (the first bytes, then more if the header is longer). */
export function readNpyHeader(path: string): NpyHeader {
  return withFile(path, (fd) => {
    let size = 256;
    for (;;) {
      const buf = new Uint8Array(size);
      const got = readSync(fd, buf, 0, size, 0);
      try {
        return parseNpyHeader(buf.subarray(0, got), path);
      } catch (e) {
        if (got < size || !(e instanceof UserError) || !/cut short/.test(e.message)) throw e;
        size *= 16;
      }
    }
  });
}

/**
 * `n` consecutive samples of `sampleDims` values each, starting at sample `first`, as float32. The file must
 * hold them (checked when the data set was opened; a file changed since then is caught here).
 */
export function readNpySamples(path: string, h: NpyHeader, first: number, n: number, sampleValues: number): Float32Array {
  const per = bytesPer(h.dtype);
  const bytes = new Uint8Array(n * sampleValues * per);
  const got = withFile(path, (fd) => readSync(fd, bytes, 0, bytes.length, h.dataOffset + first * sampleValues * per));
  if (got !== bytes.length) throw new UserError(`'${path}' ends early: shape (${h.shape.join(', ')}) needs ${count(h.shape) * per} bytes of values`);
  return toFloat32(bytes, h.dtype);
}

/** Little-endian values of type `t` as float32 (64-bit integers through Number, exact up to 2^53). */
export function toFloat32(bytes: Uint8Array, t: NpyType): Float32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / bytesPer(t);
  const out = new Float32Array(n);
  const read: Record<NpyType, (i: number) => number> = {
    f4: (i) => v.getFloat32(i * 4, true),
    f8: (i) => v.getFloat64(i * 8, true),
    i1: (i) => v.getInt8(i),
    i2: (i) => v.getInt16(i * 2, true),
    i4: (i) => v.getInt32(i * 4, true),
    i8: (i) => Number(v.getBigInt64(i * 8, true)),
    u1: (i) => v.getUint8(i),
    u2: (i) => v.getUint16(i * 2, true),
  };
  const r = read[t];
  for (let i = 0; i < n; i++) out[i] = r(i);
  return out;
}

/** The whole array of an .npy file as float32, with its shape. */
export function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const h = readNpyHeader(path);
  return { shape: h.shape, data: readNpySamples(path, h, 0, 1, count(h.shape)) };
}

function withFile<T>(path: string, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UserError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}
