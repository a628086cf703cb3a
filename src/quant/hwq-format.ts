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
import { endianness } from 'node:os';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil.js';
import { type ComputeLayer, type Network, isComputeLayer } from '../model/ir.js';
import { importOnnxModel } from '../model/onnx-import.js';
import { GraphView, type OnnxNode, attrFloat } from '../onnx/graph.js';
import { numel } from '../onnx/tensor.js';
import { actRange, checkLayer } from './qdq.js';
import { INT32_MAX, INT32_MIN, channelMultipliers } from './requant.js';
import type { ActQuant, LayerKind, QuantLayer, QuantModel } from './types.js';

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
  name: string;
  kind: LayerKind;
  /** The layer object of the network IR (shapes, kernel, stride, groups...), with its precision. */
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
  weights: Int8Array;
  weightScales: Float32Array;
  bias: Int32Array | Float32Array | null;
  requant: { m0: Int32Array; shift: Int32Array } | null;
}

export interface HwqModel {
  header: HwqHeader;
  network: Network;
  layers: HwqLayer[];
}

/** Dims and values of `w` with axis `axis` moved to the front, the other axes keeping their order. */
export function canonicalWeights(w: Int8Array, dims: number[], axis: number): { data: Int8Array; dims: number[] } {
  const perm = [axis, ...dims.map((_, i) => i).filter((i) => i !== axis)];
  const outDims = perm.map((p) => dims[p]);
  if (axis === 0) return { data: Int8Array.from(w), dims: outDims };
  const strides = dims.map((_, i) => numel(dims.slice(i + 1)));
  const out = new Int8Array(w.length);
  const idx = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * strides[perm[k]];
    out[o] = w[src];
    for (let k = perm.length - 1; k >= 0; k--) {
      if (++idx[k] < outDims[k]) break;
      idx[k] = 0;
    }
  }
  return { data: out, dims: outDims };
}

/** Round half away from zero, saturated to int32. */
function roundInt32(x: number): number {
  const r = Math.sign(x) * Math.round(Math.abs(x));
  return Math.min(INT32_MAX, Math.max(INT32_MIN, r));
}

/**
 * The integer bias: round(bias / (sIn * sW[c])) - zeroPoint * sum_k w[c][k], so the accumulator over raw input
 * codes needs no zero-point correction. Canonical weights (output channel first).
 */
export function integerBias(bias: ArrayLike<number> | undefined, act: ActQuant, wScales: ArrayLike<number>, canonical: Int8Array): Int32Array {
  const C = wScales.length;
  const per = canonical.length / C;
  const out = new Int32Array(C);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let k = 0; k < per; k++) sum += canonical[c * per + k];
    // A dead channel (scale 0) has no accumulator scale to express its bias in; its output is the float bias.
    const unit = act.scale * wScales[c];
    const b = bias && unit > 0 ? roundInt32(bias[c] / unit) : 0;
    out[c] = roundInt32(b - act.zeroPoint * sum);
  }
  return out;
}

/** Ops that do not change values: a layer's output passes them on its way to the next layer. */
const MOVE_OPS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

interface NextQuant {
  next: QuantLayer;
  via: string[];
  lo: number;
  hi: number;
}

function clipBounds(g: GraphView, n: OnnxNode): [number, number] | undefined {
  if (n.attrs.has('min') || n.attrs.has('max') || g.opset < 11) return [attrFloat(n, 'min', -Infinity), attrFloat(n, 'max', Infinity)];
  const bound = (k: number, dflt: number): number | undefined => {
    if (!n.inputs[k]) return dflt;
    const t = g.initializer(n.inputs[k]);
    return t && t.data.length === 1 ? t.data[0] : undefined;
  };
  const lo = bound(1, -Infinity);
  const hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/**
 * The quantized layer `l`'s output feeds through Relu/Clip and reshaping ops only, with no fan-out, or
 * undefined when there is none (graph output, a residual Add, a pool, several readers).
 */
function nextQuantized(g: GraphView, l: QuantLayer, byInput: Map<string, QuantLayer[]>): NextQuant | undefined {
  let t = l.outputTensor;
  let lo = -Infinity;
  let hi = Infinity;
  const via: string[] = [];
  for (let steps = 0; steps < 16; steps++) {
    if (g.isGraphOutput(t)) return undefined;
    const readers = g.consumers(t);
    if (readers.length !== 1) return undefined;
    const qs = byInput.get(t) ?? [];
    if (qs.length === 1 && qs[0].act) return { next: qs[0], via, lo, hi };
    if (qs.length) return undefined;
    const c = readers[0];
    if (c.opType === 'Relu') lo = Math.max(lo, 0);
    else if (c.opType === 'Clip') {
      const b = clipBounds(g, c);
      if (!b) return undefined;
      lo = Math.max(lo, b[0]);
      hi = Math.min(hi, b[1]);
    } else if (!MOVE_OPS.has(c.opType)) return undefined;
    via.push(c.opType);
    t = c.outputs[0];
  }
  return undefined;
}

class BlobWriter {
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

/** The .hwq bytes of a quantized model. */
export function writeHwq(q: QuantModel): Uint8Array {
  for (const l of q.layers) checkLayer(l);
  const net = importOnnxModel(q.prepared, q.name, q.source);
  const byName = new Map(q.layers.map((l) => [l.name, l]));
  const irByName = new Map<string, ComputeLayer>();
  const network: Network = {
    ...net,
    layers: net.layers.map((x) => {
      const l = byName.get(x.name);
      if (!l || !isComputeLayer(x)) return x;
      const withP: ComputeLayer = { ...x, precision: { a: l.act?.bits ?? 8, w: l.wBits } };
      irByName.set(x.name, withP);
      return withP;
    }),
  };
  const g = new GraphView(q.prepared);
  const byInput = new Map<string, QuantLayer[]>();
  for (const l of q.layers) byInput.set(l.inputTensor, [...(byInput.get(l.inputTensor) ?? []), l]);

  const blob = new BlobWriter();
  const layers: HwqLayerHeader[] = q.layers.map((l) => {
    const ir = irByName.get(l.name);
    if (!ir) throw new UserError(`quantized layer '${l.name}' is not a compute layer of the network IR of ${q.name} (IR layers: ${[...net.layers.filter(isComputeLayer).map((x) => x.name)].slice(0, 8).join(', ')}...)`);
    const canon = canonicalWeights(l.wInt, l.weightShape, l.channelAxis);
    const weights = blob.add('int8', canon.data);
    const weightScales = blob.add('float32', l.wScales);
    let bias: BlobRef | null = null;
    if (l.act && (l.bias || l.act.zeroPoint !== 0)) bias = blob.add('int32', integerBias(l.bias, l.act, l.wScales, canon.data));
    else if (!l.act && l.bias) bias = blob.add('float32', l.bias);
    let requant: HwqRequantHeader | null = null;
    const nq = l.act ? nextQuantized(g, l, byInput) : undefined;
    if (l.act && nq?.next.act) {
      const out = nq.next.act;
      const { qmin, qmax } = actRange(out);
      // With per-channel input scales (ECAQ, smoothing) the next layer's code of channel c is x / (beta[c] * scale).
      const outScales = out.channelScales && out.channelScales.length === l.wScales.length ? out.channelScales.map((b) => b * out.scale) : undefined;
      const m = channelMultipliers(l.act.scale, l.wScales, outScales ?? out.scale);
      // The bounds of a ReLU or Clip on the way: per channel they would be lo / scale[c] and hi / scale[c]; the header
      // holds one pair, the loosest (a lower bound of 0 is the same code in every channel).
      const codes = (v: number) => Array.from(outScales ?? [out.scale], (sc) => Math.round(v / sc));
      const min = Number.isFinite(nq.lo) ? Math.max(qmin, out.zeroPoint + Math.min(...codes(nq.lo))) : qmin;
      const max = Number.isFinite(nq.hi) ? Math.min(qmax, out.zeroPoint + Math.max(...codes(nq.hi))) : qmax;
      requant = {
        next: nq.next.name, via: nq.via, outScale: out.scale, zeroPoint: out.zeroPoint, min, max,
        m0: blob.add('int32', m.m0), shift: blob.add('int32', m.shift),
      };
    }
    return {
      name: l.name, kind: l.kind, layer: ir, wBits: l.wBits, aBits: l.act?.bits ?? null, act: l.act ? { ...l.act } : null,
      weightShape: canon.dims, onnxWeightShape: [...l.weightShape], channelAxis: l.channelAxis, weights, weightScales, bias, requant,
    };
  });
  const header: HwqHeader = {
    format: 'hwq', version: HWQ_VERSION, name: q.name, source: q.source, weightMethod: q.weightMethod, actMethod: q.actMethod,
    blobLength: blob.length, network, layers,
  };
  // Typed arrays (ECAQ channel scales) go into the JSON header as plain arrays.
  const json = new TextEncoder().encode(JSON.stringify(header, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
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
    throw new UserError(`'${sourceName}' is .hwq format version ${version}, written before .hwq files carried a checksum; re-run 'hwq quantize ... --hwq ${sourceName}' to write it as version ${HWQ_VERSION}`);
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
  if (PREFIX + payloadLength < blobStart + header.blobLength) {
    throw bad(`the data blob needs ${header.blobLength} bytes, the payload holds ${Math.max(0, PREFIX + payloadLength - blobStart)}`);
  }
  let blob = bytes.subarray(blobStart, blobStart + header.blobLength);
  // Typed views need 4-byte aligned addresses; a Buffer slice may start anywhere.
  if (blob.byteOffset % 8 !== 0) blob = blob.slice();
  const layers: HwqLayer[] = header.layers.map((h, i) => {
    const what = `layer ${i} (${String(h?.name)})`;
    if (!h || typeof h.name !== 'string' || !Array.isArray(h.weightShape)) throw bad(`${what} has no name or weight shape`);
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
      requant = { m0: view(blob, m0) as Int32Array, shift: view(blob, sh) as Int32Array };
    }
    // JSON holds ECAQ channel scales as a plain array
    if (h.act?.channelScales) h.act.channelScales = Float32Array.from(h.act.channelScales as ArrayLike<number>);
    return {
      header: h, weights: view(blob, w) as Int8Array, weightScales: view(blob, s) as Float32Array,
      bias: b ? (view(blob, b) as Int32Array | Float32Array) : null, requant,
    };
  });
  return { header, network: header.network, layers };
}

/** Writes the .hwq file via a temporary file and a rename. */
export function saveHwq(path: string, q: QuantModel): void {
  const bytes = writeHwq(q);
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
