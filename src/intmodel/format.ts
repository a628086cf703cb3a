// The .hwq integer model file: what the simulator and the RTL flow read instead of ONNX.
//
//   bytes 0..7   magic "HWQMODEL"
//   bytes 8..11  u32 LE format version (HWQ_VERSION)
//   bytes 12..15 u32 LE header length in bytes
//   bytes 16..19 u32 LE payload length: every byte after the prefix (header, padding, blob)
//   bytes 20..23 u32 LE CRC-32 of the payload
//   header       UTF-8 JSON (HwqHeader), then zero padding to a multiple of 8 bytes
//   blob         little-endian arrays, each starting at a multiple of 8 within the blob
//
// The checksum exists because the blob's integers flow unchecked into the RTL weight images and the simulator:
// a damaged file must be refused, not turned into a plausible-looking wrong design.
//
// Per layer the blob holds int8 weights in canonical order ([outC][inC/groups][kh][kw] for conv, [out][in]
// for fc and matmul), float32 per-output-channel weight scales, the bias, and the requantization multipliers.
// Integer convention: with input codes q (padding uses the input zero point), the accumulator
//   acc[c] = sum_k wInt[c][k] * q[k] + biasInt[c]
// equals the real output divided by (act.scale * weightScales[c]); biasInt already holds -zeroPoint * sum_k w.
//
// This module owns the layout: encodeHwq writes a header and blob that a producer (the quantizer's exporter,
// src/quant/hwq-export.ts) assembled, readHwq checks a file and links each layer to its compute layer of the
// stored network once (HwqLayer.irIndex), so readers never match layers by name.
import { endianness } from 'node:os';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil.js';
import type { ComputeLayer, Network } from '../model/ir.js';
import { numel } from '../onnx/tensor.js';
import type { ActQuant } from './activation.js';
import { linkToIr } from './ir-link.js';

export const HWQ_MAGIC = 'HWQMODEL';
export const HWQ_VERSION = 2;
/** The last version written without a payload checksum. */
const UNCHECKED_VERSION = 1;
export const HWQ_PREFIX = 24;
const PREFIX = HWQ_PREFIX;

export type BlobType = 'int8' | 'int32' | 'float32';

/** An array in the blob: byte offset from the blob start, and element count. */
export interface BlobRef {
  type: BlobType;
  offset: number;
  length: number;
}

/** Requantization of a layer's accumulator to the input codes of the one quantized layer its output feeds. */
export interface HwqRequantHeader {
  /** The consuming quantized layer, and the value-preserving or clamping ops walked on the way (Relu, Clip, Flatten...). */
  next: string;
  via: string[];
  outScale: number;
  zeroPoint: number;
  /** Output code range: the next layer's activation range narrowed by Relu/Clip on the way. */
  min: number;
  max: number;
  /** Per output channel: M0 (Q31) and shift (> 0 shifts left) of sIn * sW[c] / outScale. */
  m0: BlobRef;
  shift: BlobRef;
}

export interface HwqLayerHeader {
  /** The name of the layer's compute layer in the network IR. */
  name: string;
  kind: ComputeLayer['kind'];
  /**
   * The layer object of the network IR (shapes, kernel, stride, groups...), with its precision. The file holds a
   * copy; readHwq checks it against the network and replaces it with the network's own object.
   */
  layer: ComputeLayer;
  wBits: number;
  /** Activation bits, or null when the layer reads float activations (weight-only quantization). */
  aBits: number | null;
  act: ActQuant | null;
  /** Canonical weight dims ([outC, inC/groups, kh, kw] or [out, in]) and the ONNX layout they came from. */
  weightShape: number[];
  onnxWeightShape: number[];
  channelAxis: number;
  weights: BlobRef;
  weightScales: BlobRef;
  /** int32 in the accumulator's scale when act is present, else the float32 bias; null without a bias. */
  bias: BlobRef | null;
  requant: HwqRequantHeader | null;
}

export interface HwqHeader {
  format: 'hwq';
  version: number;
  name: string;
  source: string;
  weightMethod: string;
  actMethod: string;
  blobLength: number;
  /** The whole network IR, compute layers carrying their precision (a = 8 for float-activation layers). */
  network: Network;
  layers: HwqLayerHeader[];
}

export interface HwqLayer {
  header: HwqLayerHeader;
  /** Index of the layer's compute layer in HwqModel.network.layers (header.layer is that object). */
  irIndex: number;
  weights: Int8Array;
  weightScales: Float32Array;
  bias: Int32Array | Float32Array | null;
  /** `next` is the index in HwqModel.layers of the layer whose input codes this layer's output becomes. */
  requant: { m0: Int32Array; shift: Int32Array; next: number } | null;
}

export interface HwqModel {
  header: HwqHeader;
  network: Network;
  layers: HwqLayer[];
}

/** The blob under construction: arrays appended at 8-byte aligned offsets. */
export class BlobWriter {
  private readonly parts: { at: number; bytes: Uint8Array }[] = [];
  length = 0;

  add(type: BlobType, values: ArrayLike<number>): BlobRef {
    const offset = this.length;
    const width = type === 'int8' ? 1 : 4;
    const bytes = new Uint8Array(values.length * width);
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) {
      if (type === 'int8') v.setInt8(i, values[i]);
      else if (type === 'int32') v.setInt32(4 * i, values[i], true);
      else v.setFloat32(4 * i, values[i], true);
    }
    this.parts.push({ at: offset, bytes });
    this.length = align8(offset + bytes.length);
    return { type, offset, length: values.length };
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    for (const p of this.parts) out.set(p.bytes, p.at);
    return out;
  }
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** What a writer supplies of the header; the format fields and the blob length are filled in by encodeHwq. */
export type HwqContent = Pick<HwqHeader, 'name' | 'source' | 'weightMethod' | 'actMethod' | 'network' | 'layers'>;

/** The .hwq bytes of a header's content and its blob. Typed arrays in the header (ECAQ channel scales) become plain arrays. */
export function encodeHwq(c: HwqContent, blob: BlobWriter): Uint8Array {
  // The key order is part of the byte layout: the same model must always give the same file.
  const full: HwqHeader = {
    format: 'hwq', version: HWQ_VERSION, name: c.name, source: c.source, weightMethod: c.weightMethod, actMethod: c.actMethod,
    blobLength: blob.length, network: c.network, layers: c.layers,
  };
  const json = new TextEncoder().encode(JSON.stringify(full, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
  const blobStart = align8(PREFIX + json.length);
  const out = new Uint8Array(blobStart + blob.length);
  out.set(json, PREFIX);
  out.set(blob.bytes(), blobStart);
  return sealHwq(out, json.length);
}

/**
 * Fills the prefix of `file` (magic, version, lengths, checksum) around the header and blob already placed after
 * it; returns `file`. Exported for tests that build damaged files with a valid checksum.
 */
export function sealHwq(file: Uint8Array, headerLength: number): Uint8Array {
  const payload = file.length - PREFIX;
  if (payload > 0xffffffff) throw new UserError(`the .hwq model is ${file.length} bytes; the format holds at most 4 GiB`);
  file.set(new TextEncoder().encode(HWQ_MAGIC), 0);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  v.setUint32(8, HWQ_VERSION, true);
  v.setUint32(12, headerLength, true);
  v.setUint32(16, payload, true);
  v.setUint32(20, crc32(file.subarray(PREFIX)), true);
  return file;
}

const hex32 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

const LITTLE = endianness() === 'LE';

/** A typed view of a blob array when alignment and byte order allow, else a decoded copy. */
function view(blob: Uint8Array, ref: BlobRef): Int8Array | Int32Array | Float32Array {
  const abs = blob.byteOffset + ref.offset;
  if (ref.type === 'int8') return new Int8Array(blob.buffer, abs, ref.length);
  if (LITTLE && abs % 4 === 0) return ref.type === 'int32' ? new Int32Array(blob.buffer, abs, ref.length) : new Float32Array(blob.buffer, abs, ref.length);
  const dv = new DataView(blob.buffer, abs, ref.length * 4);
  const out = ref.type === 'int32' ? new Int32Array(ref.length) : new Float32Array(ref.length);
  for (let i = 0; i < ref.length; i++) out[i] = ref.type === 'int32' ? dv.getInt32(4 * i, true) : dv.getFloat32(4 * i, true);
  return out;
}

function checkRef(ref: unknown, type: BlobType | BlobType[], blobLength: number, what: string, bad: (m: string) => UserError): BlobRef {
  const r = ref as BlobRef;
  const types = Array.isArray(type) ? type : [type];
  if (!r || typeof r !== 'object' || !types.includes(r.type) || !Number.isInteger(r.offset) || !Number.isInteger(r.length) || r.offset < 0 || r.length < 0) {
    throw bad(`${what} is not a valid ${types.join('/')} array reference`);
  }
  if (r.offset % 8 !== 0 || r.offset + r.length * (r.type === 'int8' ? 1 : 4) > blobLength) throw bad(`${what} lies outside the data blob`);
  return r;
}

/** Parses .hwq bytes; `sourceName` names the file in errors. */
export function readHwq(bytes: Uint8Array, sourceName: string): HwqModel {
  const bad = (m: string): UserError => new UserError(`'${sourceName}' is a corrupt .hwq file: ${m}`);
  const magic = new TextDecoder().decode(bytes.subarray(0, Math.min(8, bytes.length)));
  if (magic !== HWQ_MAGIC.slice(0, magic.length) || (bytes.length >= 8 && magic !== HWQ_MAGIC)) {
    throw new UserError(`'${sourceName}' is not a .hwq model file (bad magic; expected it to start with ${HWQ_MAGIC})`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The version sits in the first 12 bytes of every version's prefix, so an old file is named as such even when
  // shorter than this version's prefix.
  const version = bytes.length >= 12 ? dv.getUint32(8, true) : HWQ_VERSION;
  if (version === UNCHECKED_VERSION) {
    throw new UserError(`'${sourceName}' is .hwq format version ${version}, written before .hwq files carried a checksum; `
      + `re-run 'hwq quantize ... --hwq ${sourceName}' to write it as version ${HWQ_VERSION}`);
  }
  if (version !== HWQ_VERSION) throw new UserError(`'${sourceName}' is .hwq format version ${version}; this hwq reads version ${HWQ_VERSION} only`);
  if (bytes.length < PREFIX) throw new UserError(`'${sourceName}' is truncated: ${bytes.length} bytes, shorter than the ${PREFIX}-byte file prefix`);
  const headerLength = dv.getUint32(12, true);
  const payloadLength = dv.getUint32(16, true);
  if (bytes.length < PREFIX + payloadLength) {
    throw new UserError(`'${sourceName}' is truncated: ${bytes.length} bytes, its header says ${PREFIX + payloadLength}`);
  }
  const want = dv.getUint32(20, true);
  const got = crc32(bytes.subarray(PREFIX, PREFIX + payloadLength));
  if (got !== want) throw new UserError(`'${sourceName}' is corrupted: payload checksum ${hex32(got)} does not match the header (${hex32(want)}); re-run 'hwq quantize' to write it again`);
  const blobStart = align8(PREFIX + headerLength);
  if (headerLength > payloadLength) throw bad(`the header length ${headerLength} exceeds the ${payloadLength}-byte payload`);
  let header: HwqHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + headerLength))) as HwqHeader;
  } catch (e) {
    throw bad(`header JSON is invalid (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || header.format !== 'hwq' || !Array.isArray(header.layers) || !header.network || !Number.isInteger(header.blobLength)) {
    throw bad('header JSON lacks the format, layers, network or blobLength fields');
  }
  if (!Array.isArray(header.network.layers)) throw bad('the network has no layer list');
  if (PREFIX + payloadLength < blobStart + header.blobLength) {
    throw bad(`the data blob needs ${header.blobLength} bytes, the payload holds ${Math.max(0, PREFIX + payloadLength - blobStart)}`);
  }
  let blob = bytes.subarray(blobStart, blobStart + header.blobLength);
  // Typed views need 4-byte aligned addresses; a Buffer slice may start anywhere.
  if (blob.byteOffset % 8 !== 0) blob = blob.slice();
  for (const [i, h] of header.layers.entries()) {
    if (!h || typeof h.name !== 'string' || !Array.isArray(h.weightShape)) throw bad(`layer ${i} (${String(h?.name)}) has no name or weight shape`);
  }
  const refs = linkToIr(header.network, header.layers.map((h) => h.name), (i) => `'${sourceName}' is a corrupt .hwq file: layer ${i}`);
  const index = new Map(header.layers.map((h, i) => [h.name, i]));
  const layers: HwqLayer[] = header.layers.map((h, i) => {
    const what = `layer ${i} (${h.name})`;
    if (JSON.stringify(h.layer) !== JSON.stringify(refs[i].layer)) throw bad(`${what}: its layer record differs from the network's layer '${h.name}'`);
    h.layer = refs[i].layer;
    const w = checkRef(h.weights, 'int8', header.blobLength, `${what} weights`, bad);
    const s = checkRef(h.weightScales, 'float32', header.blobLength, `${what} weight scales`, bad);
    if (w.length !== numel(h.weightShape) || s.length !== h.weightShape[0]) throw bad(`${what}: array lengths do not match weight shape [${h.weightShape.join(', ')}]`);
    const b = h.bias ? checkRef(h.bias, h.act ? 'int32' : 'float32', header.blobLength, `${what} bias`, bad) : null;
    if (b && b.length !== s.length) throw bad(`${what}: ${b.length} bias values for ${s.length} channels`);
    let requant: HwqLayer['requant'] = null;
    if (h.requant) {
      const m0 = checkRef(h.requant.m0, 'int32', header.blobLength, `${what} requant M0`, bad);
      const sh = checkRef(h.requant.shift, 'int32', header.blobLength, `${what} requant shift`, bad);
      if (m0.length !== s.length || sh.length !== s.length) throw bad(`${what}: requantization arrays do not have one entry per channel`);
      const next = index.get(h.requant.next);
      if (next === undefined) throw bad(`${what}: requantizes to '${String(h.requant.next)}', which is not a layer of the file`);
      requant = { m0: view(blob, m0) as Int32Array, shift: view(blob, sh) as Int32Array, next };
    }
    // JSON holds ECAQ channel scales as a plain array
    if (h.act?.channelScales) h.act.channelScales = Float32Array.from(h.act.channelScales as ArrayLike<number>);
    return {
      header: h, irIndex: refs[i].index, weights: view(blob, w) as Int8Array, weightScales: view(blob, s) as Float32Array,
      bias: b ? (view(blob, b) as Int32Array | Float32Array) : null, requant,
    };
  });
  return { header, network: header.network, layers };
}

/** Writes .hwq bytes via a temporary file and a rename. */
export function writeHwqFile(path: string, bytes: Uint8Array): void {
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new UserError(`cannot write .hwq model '${path}': ${(e as Error).message}`);
  }
}

export function loadHwq(path: string): HwqModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`.hwq model '${path}' not found`);
    if (code === 'EISDIR') throw new UserError(`.hwq model '${path}' is a directory, not a file`);
    throw new UserError(`cannot read .hwq model '${path}': ${(e as Error).message}`);
  }
  return readHwq(bytes, path);
}
