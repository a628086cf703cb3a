// TensorProto <-> typed arrays. Values are held one element per array slot whatever the stored width: int4
// and uint4 are unpacked into Int8Array/Uint8Array, and int64 into a Float64Array (exact up to 2^53, which
// covers every shape, index and count a CNN graph holds; larger sentinels such as INT64_MAX in Slice ends
// stay huge, which is all that matters there).
import { UserError } from '../errors.js';
import { type ITensorProto, type Int64, int64ToNumber, onnx } from './proto.js';

/** TensorProto.DataType codes (onnx.proto); INT4/UINT4 postdate the onnx-proto package's enum. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
  UINT4: 21,
  INT4: 22,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export type TensorData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface Tensor {
  dataType: DataTypeCode;
  dims: number[];
  data: TensorData;
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));

export function dataTypeName(code: number): string {
  return NAMES[code] ?? `data type ${code}`;
}

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** An empty array of the element type used to hold `dt` values. */
export function allocData(dt: DataTypeCode, n: number): TensorData {
  switch (dt) {
    case DataType.FLOAT:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return new Float32Array(n);
    case DataType.DOUBLE:
    case DataType.INT64:
    case DataType.UINT64:
      return new Float64Array(n);
    case DataType.INT8:
    case DataType.INT4:
      return new Int8Array(n);
    case DataType.UINT8:
    case DataType.UINT4:
    case DataType.BOOL:
      return new Uint8Array(n);
    case DataType.INT16:
      return new Int16Array(n);
    case DataType.UINT16:
      return new Uint16Array(n);
    case DataType.INT32:
      return new Int32Array(n);
    case DataType.UINT32:
      return new Uint32Array(n);
    default:
      throw new UserError(`tensors of ${dataTypeName(dt)} are not supported`);
  }
}

export function makeTensor(dataType: DataTypeCode, dims: number[], values?: ArrayLike<number>): Tensor {
  const n = numel(dims);
  const data = allocData(dataType, n);
  if (values) {
    if (values.length !== n) throw new Error(`tensor of dims [${dims}] needs ${n} values, got ${values.length}`);
    for (let i = 0; i < n; i++) data[i] = values[i];
  }
  return { dataType, dims: [...dims], data };
}

export const floatTensor = (dims: number[], values?: ArrayLike<number>): Tensor => makeTensor(DataType.FLOAT, dims, values);
export const int64Tensor = (dims: number[], values?: ArrayLike<number>): Tensor => makeTensor(DataType.INT64, dims, values);

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bf16ToFloat(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, (h & 0xffff) << 16);
  return b.getFloat32(0);
}

/** Fills `out` from little-endian raw bytes. */
function fromRaw(dt: DataTypeCode, raw: Uint8Array, out: TensorData, what: string): void {
  const n = out.length;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const need = (bytesPer: number): void => {
    const want = dt === DataType.INT4 || dt === DataType.UINT4 ? Math.ceil(n / 2) : n * bytesPer;
    if (raw.byteLength !== want) throw new UserError(`tensor ${what}: raw data has ${raw.byteLength} bytes, expected ${want}`);
  };
  switch (dt) {
    case DataType.FLOAT:
      need(4);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return;
    case DataType.DOUBLE:
      need(8);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return;
    case DataType.INT64:
      need(8);
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      return;
    case DataType.UINT64:
      need(8);
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(8 * i, true));
      return;
    case DataType.INT32:
      need(4);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return;
    case DataType.UINT32:
      need(4);
      for (let i = 0; i < n; i++) out[i] = view.getUint32(4 * i, true);
      return;
    case DataType.INT16:
      need(2);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return;
    case DataType.UINT16:
      need(2);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return;
    case DataType.FLOAT16:
      need(2);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return;
    case DataType.BFLOAT16:
      need(2);
      for (let i = 0; i < n; i++) out[i] = bf16ToFloat(view.getUint16(2 * i, true));
      return;
    case DataType.INT8:
      need(1);
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return;
    case DataType.UINT8:
    case DataType.BOOL:
      need(1);
      for (let i = 0; i < n; i++) out[i] = raw[i];
      return;
    case DataType.INT4:
    case DataType.UINT4:
      need(1);
      unpack4(raw, out, dt === DataType.INT4);
      return;
  }
}

/** Two 4-bit values per byte, the first element in the low nibble (onnx.proto). */
export function unpack4(bytes: ArrayLike<number>, out: TensorData, signed: boolean): void {
  for (let i = 0; i < out.length; i++) {
    const nib = (bytes[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nib >= 8 ? nib - 16 : nib;
  }
}

export function pack4(values: ArrayLike<number>, signed: boolean): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || (signed ? v < -8 || v > 7 : v < 0 || v > 15)) {
      throw new Error(`value ${v} at ${i} does not fit ${signed ? 'int4' : 'uint4'}`);
    }
    out[i >> 1] |= (v & 0xf) << ((i & 1) * 4);
  }
  return out;
}

/** Decodes a TensorProto's values (raw_data or the typed repeated fields). */
export function tensorFromProto(t: ITensorProto): Tensor {
  const what = t.name ? `'${t.name}'` : '(unnamed)';
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new UserError(`tensor ${what} keeps its data in an external file, which is not supported: save the model with all tensors inside it`);
  }
  const dt = (t.dataType ?? 0) as DataTypeCode;
  if (dt === DataType.STRING) throw new UserError(`tensor ${what}: string tensors are not supported`);
  const dims = (t.dims ?? []).map((d) => int64ToNumber(d as Int64));
  const n = numel(dims);
  const data = allocData(dt, n);
  if (t.rawData && t.rawData.length > 0) {
    fromRaw(dt, t.rawData, data, what);
    return { dataType: dt, dims, data };
  }
  let src: ArrayLike<number>;
  switch (dt) {
    case DataType.FLOAT:
      src = t.floatData ?? [];
      break;
    case DataType.DOUBLE:
      src = t.doubleData ?? [];
      break;
    case DataType.INT64:
      src = (t.int64Data ?? []).map((v) => int64ToNumber(v as Int64));
      break;
    case DataType.UINT32:
    case DataType.UINT64:
      src = (t.uint64Data ?? []).map((v) => int64ToNumber(v as Int64));
      break;
    case DataType.FLOAT16:
      src = (t.int32Data ?? []).map(halfToFloat);
      break;
    case DataType.BFLOAT16:
      src = (t.int32Data ?? []).map(bf16ToFloat);
      break;
    case DataType.INT4:
    case DataType.UINT4: {
      const bytes = t.int32Data ?? [];
      if (bytes.length !== Math.ceil(n / 2)) throw new UserError(`tensor ${what}: ${bytes.length} packed int32_data entries, expected ${Math.ceil(n / 2)}`);
      unpack4(bytes, data, dt === DataType.INT4);
      return { dataType: dt, dims, data };
    }
    default:
      src = t.int32Data ?? [];
  }
  if (src.length !== n) throw new UserError(`tensor ${what}: ${src.length} values for dims [${dims.join(', ')}] (${n} elements)`);
  for (let i = 0; i < n; i++) data[i] = src[i];
  return { dataType: dt, dims, data };
}

/** Little-endian raw bytes of a tensor's values in its declared type. */
export function tensorRawBytes(t: Tensor): Uint8Array {
  const n = t.data.length;
  if (n !== numel(t.dims)) throw new Error(`tensor data has ${n} values for dims [${t.dims}]`);
  const widths: Partial<Record<number, number>> = {
    [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.INT64]: 8, [DataType.UINT64]: 8, [DataType.INT32]: 4,
    [DataType.UINT32]: 4, [DataType.INT16]: 2, [DataType.UINT16]: 2, [DataType.FLOAT16]: 2, [DataType.INT8]: 1,
    [DataType.UINT8]: 1, [DataType.BOOL]: 1,
  };
  if (t.dataType === DataType.INT4 || t.dataType === DataType.UINT4) return pack4(t.data, t.dataType === DataType.INT4);
  const w = widths[t.dataType];
  if (!w) throw new Error(`cannot write tensors of ${dataTypeName(t.dataType)}`);
  const out = new Uint8Array(n * w);
  const v = new DataView(out.buffer);
  const d = t.data;
  for (let i = 0; i < n; i++) {
    switch (t.dataType) {
      case DataType.FLOAT: v.setFloat32(4 * i, d[i], true); break;
      case DataType.DOUBLE: v.setFloat64(8 * i, d[i], true); break;
      // Clamped: a huge float sentinel (2^63) would otherwise wrap to INT64_MIN.
      case DataType.INT64: v.setBigInt64(8 * i, clampBig(d[i], -(2n ** 63n), 2n ** 63n - 1n), true); break;
      case DataType.UINT64: v.setBigUint64(8 * i, clampBig(d[i], 0n, 2n ** 64n - 1n), true); break;
      case DataType.INT32: v.setInt32(4 * i, d[i], true); break;
      case DataType.UINT32: v.setUint32(4 * i, d[i], true); break;
      case DataType.INT16: v.setInt16(2 * i, d[i], true); break;
      case DataType.UINT16: v.setUint16(2 * i, d[i], true); break;
      case DataType.FLOAT16: v.setUint16(2 * i, floatToHalf(d[i]), true); break;
      case DataType.INT8: v.setInt8(i, d[i]); break;
      default: v.setUint8(i, d[i]);
    }
  }
  return out;
}

function clampBig(x: number, lo: bigint, hi: bigint): bigint {
  if (!Number.isFinite(x)) return x > 0 ? hi : lo;
  const b = BigInt(Math.trunc(x));
  return b < lo ? lo : b > hi ? hi : b;
}

function floatToHalf(x: number): number {
  // Round-to-nearest via the float32 bit pattern; enough for writing test tensors.
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, x);
  const bits = f.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >> (1 - exp);
    return sign | ((m + 0x1000) >> 13);
  }
  return sign | ((exp << 10) + ((mant + 0x1000) >> 13));
}

/** A TensorProto (raw_data form, which every runtime reads) named `name`. */
export function tensorToProto(name: string, t: Tensor): onnxPkgTensorProto {
  return onnx.TensorProto.create({ name, dims: [...t.dims], dataType: t.dataType, rawData: tensorRawBytes(t) });
}
type onnxPkgTensorProto = ReturnType<typeof onnx.TensorProto.create>;

/** Reads a tensor's values as plain numbers (scalars and small index tensors). */
export function tensorValues(t: Tensor): number[] {
  return Array.from(t.data);
}
