// The .hwq integer model file: round trip of a hand-made QuantModel (canonical weight order, integer bias with
// the zero point folded in, requantization to the next layer), integer arithmetic agreeing with the float
// model, the error for each kind of damaged file (the payload checksum among them, also through the CLI), and
// MobileNetV2's requantization chain.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hwqAll, userError } from '../cli/run-hwq.js';
import { rng, tempDir, withShared } from '../helpers.js';
import { rewriteHwqHeader } from './hwq-files.js';
import { UserError } from '../../src/errors.js';
import type { ConvLayer, FcLayer } from '../../src/model/ir.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { GraphView } from '../../src/onnx/graph.js';
import { withOutputs } from '../../src/onnx/expose.js';
import { loadModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { DataType, type Tensor, floatTensor, numel } from '../../src/onnx/tensor.js';
import { HWQ_PREFIX, HWQ_VERSION, loadHwq, readHwq, sealHwq } from '../../src/intmodel/format.js';
import { canonicalWeights, integerBias } from '../../src/intmodel/integer-layer.js';
import { saveHwq, writeHwq } from '../../src/quant/hwq-export.js';
import { toQdqModel } from '../../src/quant/qdq.js';
import { channelMultipliers, requantize } from '../../src/intmodel/requant.js';
import type { ActQuant, QuantLayer, QuantModel } from '../../src/quant/types.js';

const r = rng(99);
const randArr = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());

function quantLayer(name: string, kind: QuantLayer['kind'], input: string, output: string, wName: string, w: Tensor, axis: number, wBits: number, act?: ActQuant, bias?: Float32Array): QuantLayer {
  const C = w.dims[axis];
  const inner = numel(w.dims.slice(axis + 1));
  const qmax = 2 ** (wBits - 1) - 1;
  const maxAbs = new Float64Array(C);
  w.data.forEach((v, i) => {
    const c = Math.floor(i / inner) % C;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(v));
  });
  const wScales = Float32Array.from(maxAbs, (m) => m / qmax);
  const wInt = Int8Array.from(w.data, (v, i) => Math.round(v / wScales[Math.floor(i / inner) % C]));
  return { name, kind, nodeName: name, inputTensor: input, outputTensor: output, weightName: wName, weightShape: [...w.dims], channelAxis: axis, wBits, wInt, wScales, act, bias };
}

// conv1 (unsigned input with zero point 10) -> Relu -> dw (4-bit) -> Clip(0,6) -> GAP -> Flatten -> fc (Gemm
// transB=0, weight-only).
const w1 = floatTensor([4, 3, 3, 3], randArr(108));
const b1 = floatTensor([4], randArr(4));
const w2 = floatTensor([4, 1, 3, 3], randArr(36));
const w3 = floatTensor([4, 5], randArr(20));
const b3 = floatTensor([5], randArr(5));
const prepared = buildModel({
  inputs: [{ name: 'x', dims: [1, 3, 6, 6] }],
  outputs: [{ name: 'y', dims: [1, 5] }],
  initializers: { w1, b1, w2, w3, b3, lo: floatTensor([], [0]), hi: floatTensor([], [6]) },
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', name: 'dw', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { group: attr.int(4), pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Clip', name: 'clip2', inputs: ['c2', 'lo', 'hi'], outputs: ['r2'] },
    { op: 'GlobalAveragePool', name: 'gap', inputs: ['r2'], outputs: ['p'] },
    { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'w3', 'b3'], outputs: ['y'] },
  ],
});
const a1: ActQuant = { bits: 8, signed: false, scale: 0.02, zeroPoint: 10 };
const a2: ActQuant = { bits: 4, signed: false, scale: 0.1, zeroPoint: 0 };
const l1 = quantLayer('conv1', 'conv', 'x', 'c1', 'w1', w1, 0, 8, a1, b1.data as Float32Array);
const l2 = quantLayer('dw', 'conv', 'r1', 'c2', 'w2', w2, 0, 5, a2);
const l3 = quantLayer('fc', 'fc', 'f', 'y', 'w3', w3, 1, 6, undefined, b3.data as Float32Array);
const qm: QuantModel = { source: 'test.onnx', name: 'tiny', weightMethod: 'maxabs', actMethod: 'manual', layers: [l1, l2, l3], prepared };

function expectUserError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError, String(e));
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a UserError matching ${pattern}`);
}

test('round trip: header, canonical weights, scales, integer bias, requantization, network precisions', () => {
  const bytes = writeHwq(qm);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'HWQMODEL');
  const m = readHwq(bytes, 'tiny.hwq');
  assert.is(m.header.version, HWQ_VERSION);
  assert.is(m.header.name, 'tiny');
  assert.equal(m.layers.map((l) => l.header.name), ['conv1', 'dw', 'fc']);
  const [h1, h2, h3] = m.layers;

  assert.equal(Array.from(h1.weights), Array.from(l1.wInt), 'conv weights are already canonical');
  assert.equal(h1.header.weightShape, [4, 3, 3, 3]);
  assert.equal(Array.from(h1.weightScales), Array.from(l1.wScales));
  // Gemm transB=0 stores [in][out]; canonical is [out][in].
  assert.equal(h3.header.weightShape, [5, 4]);
  assert.equal(h3.header.onnxWeightShape, [4, 5]);
  for (let n = 0; n < 5; n++) for (let k = 0; k < 4; k++) assert.is(h3.weights[n * 4 + k], l3.wInt[k * 5 + n], `fc[${n}][${k}]`);

  // Bias in accumulator units, minus zeroPoint * sum of the channel's weights.
  assert.instance(h1.bias, Int32Array);
  for (let c = 0; c < 4; c++) {
    let sum = 0;
    for (let k = 0; k < 27; k++) sum += l1.wInt[c * 27 + k];
    const want = Math.round((b1.data[c] as number) / (a1.scale * l1.wScales[c])) - 10 * sum;
    assert.is(h1.bias?.[c], want, `bias ${c}`);
  }
  assert.is(h2.bias, null, 'no bias and zero point 0');
  assert.instance(h3.bias, Float32Array);
  assert.equal(Array.from(h3.bias ?? []), Array.from(b3.data));

  // conv1 -> Relu -> dw is requantized to dw's input codes; dw feeds a pool, the weight-only fc nothing.
  const rq = h1.header.requant;
  assert.ok(rq);
  assert.equal({ next: rq.next, via: rq.via, min: rq.min, max: rq.max, zp: rq.zeroPoint, s: rq.outScale }, { next: 'dw', via: ['Relu'], min: 0, max: 15, zp: 0, s: 0.1 });
  const cm = channelMultipliers(a1.scale, l1.wScales, a2.scale);
  assert.equal(Array.from(h1.requant?.m0 ?? []), Array.from(cm.m0));
  assert.equal(Array.from(h1.requant?.shift ?? []), Array.from(cm.shift));
  assert.is(h2.requant, null);
  assert.is(h3.requant, null);

  assert.equal([h1.header.aBits, h2.header.aBits, h3.header.aBits], [8, 4, null]);
  assert.equal(h3.header.act, null);
  const byName = new Map(m.network.layers.map((l) => [l.name, l]));
  assert.equal(byName.get('conv1')?.precision, { a: 8, w: 8 });
  assert.equal(byName.get('dw')?.precision, { a: 4, w: 5 });
  assert.equal(byName.get('fc')?.precision, { a: 8, w: 6 });
  assert.is((h2.header.layer as ConvLayer).groups, 4);
  assert.is((h3.header.layer as FcLayer).outFeatures, 5);
  assert.equal(m.network.layers.map((l) => l.kind), ['conv', 'conv', 'pool', 'fc']);
});

test('integer conv1 (accumulator + bias, then requantize) agrees with the float computation it encodes', () => {
  const m = readHwq(writeHwq(qm), 'tiny.hwq');
  const h = m.layers[0];
  const x = randArr(108, -0.2, 4);
  // Input codes; padding uses the zero point.
  const qx = Array.from(x, (v) => Math.min(255, Math.max(0, Math.round(v / a1.scale) + a1.zeroPoint)));
  const code = (c: number, y: number, xx: number): number => (y < 0 || y >= 6 || xx < 0 || xx >= 6 ? a1.zeroPoint : qx[(c * 6 + y) * 6 + xx]);
  const rq = h.header.requant;
  assert.ok(rq && h.requant && h.bias);
  let maxCodeDiff = 0;
  let checked = 0;
  for (let o = 0; o < 4; o++) {
    for (let y = 0; y < 6; y++) {
      for (let xx = 0; xx < 6; xx++) {
        let acc = h.bias[o];
        let real = b1.data[o];
        for (let c = 0; c < 3; c++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const w = h.weights[((o * 3 + c) * 3 + ky) * 3 + kx];
              const q = code(c, y + ky - 1, xx + kx - 1);
              acc += w * q;
              real += w * h.weightScales[o] * (q - a1.zeroPoint) * a1.scale;
            }
          }
        }
        const accReal = acc * a1.scale * h.weightScales[o];
        // Only the bias rounding separates them: at most half an accumulator step.
        assert.ok(Math.abs(accReal - real) <= 0.5 * a1.scale * h.weightScales[o] + 1e-9, `acc ${o},${y},${xx}`);
        const out = requantize(acc, h.requant.m0[o], h.requant.shift[o], rq.zeroPoint, rq.min, rq.max);
        const want = Math.min(rq.max, Math.max(rq.min, Math.round(Math.max(0, real) / rq.outScale)));
        maxCodeDiff = Math.max(maxCodeDiff, Math.abs(out - want));
        checked++;
      }
    }
  }
  assert.is(checked, 144);
  assert.ok(maxCodeDiff <= 1, `requantized codes within one step of the float result (${maxCodeDiff})`);
});

/** conv1 computed from the .hwq integers (accumulator, bias, requantization) against the codes onnxruntime's QDQ
 *  model feeds dw. */
async function checkIntegerPath(qm: QuantModel): Promise<void> {
  const m = readHwq(writeHwq(qm), 'tiny.hwq');
  const h = m.layers[0];
  const rq = h.header.requant;
  assert.ok(rq && h.requant && h.bias);
  const x = randArr(108, -0.3, 4);
  const ort = await openModel(withOutputs(toQdqModel(qm), ['x_a8u_quantized', 'r1_a4u_quantized'], DataType.UINT8));
  const res = await ort.run({ x: { dims: [1, 3, 6, 6], data: x } });
  await ort.release();
  const qx = res.get('x_a8u_quantized')?.data as Uint8Array;
  const want = res.get('r1_a4u_quantized')?.data as Uint8Array;
  assert.is(want.length, 144);
  let exact = 0;
  for (let o = 0; o < 4; o++) {
    for (let y = 0; y < 6; y++) {
      for (let xx = 0; xx < 6; xx++) {
        let acc = h.bias[o];
        for (let c = 0; c < 3; c++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const iy = y + ky - 1;
              const ix = xx + kx - 1;
              const q = iy < 0 || iy >= 6 || ix < 0 || ix >= 6 ? a1.zeroPoint : qx[(c * 6 + iy) * 6 + ix];
              acc += h.weights[((o * 3 + c) * 3 + ky) * 3 + kx] * q;
            }
          }
        }
        const got = requantize(acc, h.requant.m0[o], h.requant.shift[o], rq.zeroPoint, rq.min, rq.max);
        const k = (o * 6 + y) * 6 + xx;
        assert.ok(Math.abs(got - want[k]) <= 1, `code ${k}: integer ${got}, onnxruntime ${want[k]}`);
        if (got === want[k]) exact++;
      }
    }
  }
  // Differences come only from the rounded bias and Q31 multiplier landing a value on the other side of a tie.
  assert.ok(exact >= 140, `${exact}/144 codes identical`);
  const levels = new Set(want);
  assert.ok(levels.size >= 10, `codes spread over the 4-bit range (${levels.size} levels)`);
}

test('the integer path (hwq weights, bias, requantization) reproduces the QDQ model\'s codes for dw\'s input', () => checkIntegerPath(qm));

test('with ECAQ channel scales on dw\'s input (--ecaq depthwise) conv1 requantizes each channel to its own scale', async () => {
  const channelScales = Float32Array.from([0.05, 0.1, 0.2, 0.4]);
  const ecaq: QuantModel = { ...qm, layers: [l1, { ...l2, act: { ...a2, scale: 1, channelScales } }, l3] };
  const h = readHwq(writeHwq(ecaq), 'tiny.hwq').layers[0];
  const plain = readHwq(writeHwq(qm), 'tiny.hwq').layers[0];
  // the multiplier of channel c scales with 1 / beta[c]: the requantization differs per channel
  for (let c = 1; c < 4; c++) {
    const ratio = (o: typeof h, k: number) => o.requant!.m0[k] * 2 ** o.requant!.shift[k];
    assert.ok(Math.abs(ratio(h, c) / ratio(h, 0) - (ratio(plain, c) / ratio(plain, 0)) * (channelScales[0] / channelScales[c])) < 1e-6);
  }
  await checkIntegerPath(ecaq);
});

test('a ReLU6 in front of a layer with channel scales bounds each channel at 6 / (beta[c] * scale), not at 6 / scale', () => {
  const relu6 = {
    ...prepared,
    graph: { ...prepared.graph, node: prepared.graph!.node!.map((n) => (n.name === 'relu1' ? { ...n, opType: 'Clip', input: ['c1', 'lo', 'hi'] } : n)) },
  } as typeof prepared;
  const code = (channelScales: Float32Array | undefined, scale: number) => {
    const m: QuantModel = { ...qm, prepared: relu6, layers: [l1, { ...l2, act: { ...a2, scale, channelScales } }, l3] };
    return readHwq(writeHwq(m), 'tiny.hwq').layers[0].header.requant!.max;
  };
  assert.is(code(undefined, 1), 6, 'one scale of 1: codes above 6 are above the ReLU6');
  // beta 0.05..0.4 at scale 1: every channel's bound is at or above the 4-bit top (the lowest, 6 / 0.4 = 15)
  assert.is(code(Float32Array.from([0.05, 0.1, 0.2, 0.4]), 1), 15);
  assert.is(code(Float32Array.from([0.5, 1, 2, 1]), 0.1), 15, 'beta * scale 0.05..0.2: bounds 120..30, capped at 15');
});

test('with channel scales and a per-layer scale on dw\'s input (--smooth) conv1 requantizes channel c to beta[c] * scale', async () => {
  const channelScales = Float32Array.from([0.5, 1, 2, 0.8]);
  const smoothed: QuantModel = { ...qm, layers: [l1, { ...l2, act: { ...a2, channelScales } }, l3] };
  const h = readHwq(writeHwq(smoothed), 'tiny.hwq').layers[0];
  const plain = readHwq(writeHwq(qm), 'tiny.hwq').layers[0];
  for (let c = 0; c < 4; c++) {
    const m = (o: typeof h) => o.requant!.m0[c] * 2 ** o.requant!.shift[c];
    assert.ok(Math.abs(m(h) / m(plain) - 1 / channelScales[c]) < 1e-6, `channel ${c}: multiplier divided by beta`);
  }
  await checkIntegerPath(smoothed);
});

test('damaged files: bad magic, truncation at every part, unsupported version, invalid header JSON, bad references', () => {
  const bytes = writeHwq(qm);
  expectUserError(() => readHwq(new TextEncoder().encode('PK\x03\x04 something else'), 'a.zip'), /'a\.zip' is not a \.hwq model file \(bad magic/);
  expectUserError(() => readHwq(new Uint8Array(0), 'empty.hwq'), /'empty\.hwq' is truncated/);
  expectUserError(() => readHwq(bytes.subarray(0, 5), 'x.hwq'), /'x\.hwq' is truncated/);
  expectUserError(() => readHwq(bytes.subarray(0, 12), 'x.hwq'), /'x\.hwq' is truncated: 12 bytes, shorter than the 24-byte file prefix/);
  expectUserError(() => readHwq(bytes.subarray(0, 100), 'x.hwq'), new RegExp(`'x\\.hwq' is truncated: 100 bytes, its header says ${bytes.length}$`));
  expectUserError(() => readHwq(bytes.subarray(0, bytes.length - 1), 'x.hwq'), new RegExp(`'x\\.hwq' is truncated: ${bytes.length - 1} bytes, its header says ${bytes.length}$`));
  const v3 = Uint8Array.from(bytes);
  new DataView(v3.buffer).setUint32(8, 3, true);
  expectUserError(() => readHwq(v3, 'new.hwq'), /'new\.hwq' is \.hwq format version 3; this hwq reads version 2 only/);
  // Checksummed but invalid: what a faulty writer, not a damaged disk, would produce.
  expectUserError(() => readHwq(rewriteHwqHeader(bytes, (j) => `x${j.slice(1)}`), 'j.hwq'), /'j\.hwq' is a corrupt \.hwq file: header JSON is invalid/);
  const moved = rewriteHwqHeader(bytes, (j) => j.replace('"weights":{"type":"int8","offset":0,', '"weights":{"type":"int8","offset":8000000,'));
  expectUserError(() => readHwq(moved, 'r.hwq'), /'r\.hwq' is a corrupt \.hwq file: layer 0 \(conv1\) weights lies outside the data blob/);
  const shortBlob = rewriteHwqHeader(bytes, (j) => j.replace(/"blobLength":(\d+)/, (_m, n) => `"blobLength":${Number(n) + 64}`));
  expectUserError(() => readHwq(shortBlob, 'b.hwq'), /'b\.hwq' is a corrupt \.hwq file: the data blob needs \d+ bytes, the payload holds \d+/);
  const longHeader = sealHwq(Uint8Array.from(bytes), bytes.length);
  expectUserError(() => readHwq(longHeader, 'h.hwq'), new RegExp(`'h\\.hwq' is a corrupt \\.hwq file: the header length ${bytes.length} exceeds the ${bytes.length - HWQ_PREFIX}-byte payload`));
});

test('a byte overwritten anywhere after the prefix (header or blob) is refused by the checksum, naming the file', () => {
  const bytes = writeHwq(qm);
  const hdrLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const blobStart = Math.ceil((HWQ_PREFIX + hdrLen) / 8) * 8;
  // the middle of the file and of the blob are weight bytes that would otherwise read as valid int8 weights
  const spots = {
    'middle of the file': bytes.length >> 1,
    'first blob byte': blobStart,
    'middle of the blob': (blobStart + bytes.length) >> 1,
    'last byte': bytes.length - 1,
    'a header digit': HWQ_PREFIX + new TextDecoder().decode(bytes.subarray(HWQ_PREFIX, HWQ_PREFIX + hdrLen)).search(/\d/),
  };
  for (const [where, at] of Object.entries(spots)) {
    const bad = Uint8Array.from(bytes);
    bad[at] = bad[at] === 0x31 ? 0x32 : 0x31; // a digit stays a digit: the header would still parse
    expectUserError(() => readHwq(bad, `${where}.hwq`), new RegExp(`^'${where}\\.hwq' is corrupted: payload checksum 0x[0-9a-f]{8} `
      + `does not match the header \\(0x[0-9a-f]{8}\\); re-run 'hwq quantize' to write it again$`));
  }
  // a damaged checksum field itself is refused the same way
  const badSum = Uint8Array.from(bytes);
  badSum[20] ^= 0x01;
  expectUserError(() => readHwq(badSum, 'y.hwq'), /'y\.hwq' is corrupted: payload checksum/);
});

test('a version 1 file (no checksum) is refused with the command that writes it again', () => {
  const v1 = Uint8Array.from(writeHwq(qm));
  new DataView(v1.buffer).setUint32(8, 1, true);
  expectUserError(
    () => readHwq(v1, 'old.hwq'),
    /^'old\.hwq' is \.hwq format version 1, written before \.hwq files carried a checksum; re-run 'hwq quantize \.\.\. --hwq old\.hwq' to write it as version 2$/,
  );
  // even a version 1 file shorter than this version's prefix is named as old rather than truncated
  expectUserError(() => readHwq(v1.subarray(0, 16), 'old.hwq'), /format version 1, written before/);
});

test('saveHwq / loadHwq through a file; a missing file is a UserError; unaligned buffers still read', () => {
  const dir = tempDir();
  const p = join(dir, 'm.hwq');
  saveHwq(p, qm);
  const m = loadHwq(p);
  assert.equal(Array.from(m.layers[2].weights), Array.from(canonicalWeights(l3.wInt, [4, 5], 1).data));
  assert.equal(readFileSync(p), Buffer.from(writeHwq(qm)), 'the file holds exactly writeHwq\'s bytes');
  expectUserError(() => loadHwq(join(dir, 'nope.hwq')), /'.*nope\.hwq' not found/);
  writeFileSync(join(dir, 'bad.hwq'), 'hello');
  expectUserError(() => loadHwq(join(dir, 'bad.hwq')), /not a \.hwq model file/);
  const bytes = writeHwq(qm);
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const m2 = readHwq(shifted.subarray(3), 'shifted');
  assert.equal(Array.from(m2.layers[0].weightScales), Array.from(l1.wScales));
  assert.equal(Array.from(m2.layers[0].bias ?? []), Array.from(m.layers[0].bias ?? []));
});

test('a corrupted or truncated file on disk: loadHwq, hwq sim and hwq rtl --model refuse it with one line naming it', async () => {
  const dir = tempDir();
  const bytes = writeHwq(qm);
  const corrupted = join(dir, 'corrupted.hwq');
  const bad = Uint8Array.from(bytes);
  bad[bytes.length >> 1] ^= 0x40;
  writeFileSync(corrupted, bad);
  const truncated = join(dir, 'truncated.hwq');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 8));
  expectUserError(() => loadHwq(corrupted), /^'.*corrupted\.hwq' is corrupted: payload checksum/);
  expectUserError(() => loadHwq(truncated), /^'.*truncated\.hwq' is truncated/);
  const good = join(dir, 'good.hwq');
  writeFileSync(good, bytes);
  const [sim, rtl, simTrunc, simGood] = await hwqAll([
    ['sim', corrupted], ['rtl', '--model', corrupted, '--out', join(dir, 'rtl-out')], ['sim', truncated], ['sim', good, '--json'],
  ]);
  assert.match(userError(sim, 'hwq sim corrupted.hwq'), /^hwq: '.*corrupted\.hwq' is corrupted: payload checksum 0x[0-9a-f]{8} does not match the header/);
  assert.match(userError(rtl, 'hwq rtl --model corrupted.hwq'), /^hwq: '.*corrupted\.hwq' is corrupted: payload checksum/);
  assert.not.ok(existsSync(join(dir, 'rtl-out')), 'hwq rtl wrote nothing');
  assert.match(userError(simTrunc, 'hwq sim truncated.hwq'), /^hwq: '.*truncated\.hwq' is truncated/);
  assert.is(simGood.code, 0, simGood.stderr);
  assert.is(JSON.parse(simGood.stdout).layers.length, 3, 'the same file undamaged simulates');
});

test('integerBias: rounding half away from zero, zero point folded, dead channels give 0', () => {
  const act: ActQuant = { bits: 8, signed: false, scale: 0.5, zeroPoint: 3 };
  const w = Int8Array.from([1, 2, -1, 0, 0, 0, 5, 5, 5]);
  // channel 0: 1.25 / 0.5 = 2.5 -> 3, minus 3 * 2; channel 1: -1.25 / 0.5 -> -3; channel 2: scale 0 -> 0 - 3 * 15.
  assert.equal(Array.from(integerBias([1.25, -1.25, 7], act, [1, 1, 0], w)), [3 - 6, -3, -45]);
});

test('canonicalWeights moves the channel axis first and keeps the other axes in order', () => {
  const w = Int8Array.from({ length: 24 }, (_, i) => i);
  const c = canonicalWeights(w, [2, 3, 4], 1);
  assert.equal(c.dims, [3, 2, 4]);
  // out[j][i][k] = w[i][j][k]
  assert.equal(Array.from(c.data.subarray(0, 8)), [0, 1, 2, 3, 12, 13, 14, 15]);
  assert.equal(Array.from(c.data.subarray(8, 12)), [4, 5, 6, 7]);
});

withShared(test, 'MobileNetV2: 53 layers written; requantization exactly where one quantized layer follows', [['models', 'imagenet-mobilenetv2.onnx']], ([path]) => {
  const model = loadModel(path);
  const gv = new GraphView(model);
  const layers: QuantLayer[] = [];
  for (const n of gv.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'MatMul') continue;
    const w = gv.initializer(n.inputs[1]) as Tensor;
    const fromClip = gv.producer(n.inputs[0])?.opType === 'Clip';
    const act: ActQuant = fromClip ? { bits: 8, signed: false, scale: 6 / 255, zeroPoint: 0 } : { bits: 8, signed: true, scale: 0.05, zeroPoint: 0 };
    layers.push(quantLayer(n.name || `${n.opType}_${n.index}`, n.opType === 'Conv' ? 'conv' : 'matmul', n.inputs[0], n.outputs[0], n.inputs[1], w, n.opType === 'Conv' ? 0 : 1, 8, act));
  }
  const bytes = writeHwq({ source: path, name: 'mobilenetv2', weightMethod: 'maxabs', actMethod: 'fixed', layers, prepared: model });
  const m = readHwq(bytes, 'mnv2.hwq');
  assert.is(m.layers.length, 53);
  // First conv -> dw of block 0 (1), expand -> dw in the 16 expanding blocks (16), dw -> project in all 17
  // blocks (17), and project -> next conv where neither block is residual (blocks 0 and 16: 2).
  const withRq = m.layers.filter((l) => l.requant);
  assert.is(withRq.length, 36);
  assert.ok(withRq.every((l) => l.requant && l.header.requant && l.requant.m0.length === l.header.weightShape[0]));
  const fc = m.layers[52];
  assert.equal(fc.header.weightShape, [1000, 1280]);
  assert.equal(m.network.layers.filter((l) => 'precision' in l && l.precision).length, 53);
});

test('the reader links each layer to its compute layer of the network and its requantization to the next layer', () => {
  const m = readHwq(writeHwq(qm), 'tiny.hwq');
  const names = m.network.layers.map((l) => l.name);
  assert.equal(m.layers.map((l) => l.irIndex), ['conv1', 'dw', 'fc'].map((n) => names.indexOf(n)));
  for (const l of m.layers) assert.ok(m.network.layers[l.irIndex] === l.header.layer, `${l.header.name} is the network's own layer object`);
  assert.is(m.layers[0].requant?.next, 1);
});

test('a quantized layer without a compute layer in the network IR is refused by the writer and the reader', () => {
  const renamed: QuantModel = { ...qm, layers: [l1, { ...l2, name: 'dw_missing' }, l3] };
  expectUserError(() => writeHwq(renamed), /quantized layer 'dw_missing' is not a compute layer of the network IR of tiny \(IR layers: conv1, dw, fc\)/);
  const bytes = writeHwq(qm);
  const gone = rewriteHwqHeader(bytes, (j) => j.replace('"name":"dw","kind"', '"name":"dw2","kind"'));
  expectUserError(() => readHwq(gone, 'g.hwq'), /'g\.hwq' is a corrupt \.hwq file: layer 1 'dw2' is not a compute layer of the network IR of tiny/);
  // A pool of the network is no compute layer either.
  const pool = rewriteHwqHeader(bytes, (j) => j.replace('"name":"dw","kind"', '"name":"gap","kind"'));
  expectUserError(() => readHwq(pool, 'p.hwq'), /layer 1 'gap' is not a compute layer/);
});

test('a layer record that disagrees with the network, or a requantization to an unknown layer, is a corrupt file', () => {
  const bytes = writeHwq(qm);
  const edit = (f: (h: { layers: Array<{ layer: { groups: number }; requant: { next: string } | null }> }) => void) =>
    rewriteHwqHeader(bytes, (j) => {
      const h = JSON.parse(j);
      f(h);
      return JSON.stringify(h);
    });
  assert.is(readHwq(edit(() => undefined), 'same.hwq').layers.length, 3, 'the rewrite alone keeps the file valid');
  expectUserError(() => readHwq(edit((h) => (h.layers[1].layer.groups = 2)), 'd.hwq'), /'d\.hwq' is a corrupt \.hwq file: layer 1 \(dw\): its layer record differs from the network's layer 'dw'/);
  expectUserError(() => readHwq(edit((h) => (h.layers[0].requant!.next = 'nowhere')), 'n.hwq'), /layer 0 \(conv1\): requantizes to 'nowhere', which is not a layer of the file/);
});

test.run();
