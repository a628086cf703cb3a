// Small models in the forms users' exporters and onnxruntime's quantizer write, built in code so each test
// states exactly what it reads: a float CNN and its QOperator and dynamic twins (same layers, same names),
// a Conv1d network, the float CNN with weights listed as inputs or a fixed batch, and external data.
import { openModel } from '../../src/onnx/run.js';
import { writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { basename, join } from 'node:path';
import { hwq, type Run } from '../cli/run-hwq.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel, type IoSpec, type NodeSpec } from '../../src/onnx/build.js';
import { type ModelProto, decodeModel, encodeModel, saveModel } from '../../src/onnx/proto.js';
import { DataType, type DataTypeCode, type Tensor, floatTensor, makeTensor, tensorFromProto, tensorRawBytes } from '../../src/onnx/tensor.js';

/** Deterministic weights in [lo, lo + 1). */
export const ramp = (n: number, k: number, lo = -0.5): number[] => Array.from({ length: n }, (_, i) => ((i * k) % 11) / 11 + lo);

export interface CnnForm {
  /** Every initializer also listed as a graph input, as IR 3 requires. */
  weightsAsInputs?: boolean;
  /** A fixed batch dimension instead of a symbolic one. */
  batch?: number;
}

/** Conv -> BatchNormalization -> Relu -> Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm on 3x32x32, 3 classes. */
export function cnn(o: CnnForm = {}): ModelProto {
  const inits: Record<string, Tensor> = {
    w1: floatTensor([8, 3, 3, 3], ramp(216, 37)), b1: floatTensor([8], ramp(8, 3)),
    gamma: floatTensor([8], ramp(8, 5, 0.5)), beta: floatTensor([8], ramp(8, 7)),
    mean: floatTensor([8], ramp(8, 2)), variance: floatTensor([8], ramp(8, 3, 0.6)),
    w2: floatTensor([8, 8, 3, 3], ramp(576, 13)), b2: floatTensor([8], ramp(8, 5)),
    fw: floatTensor([3, 8], ramp(24, 7)), fb: floatTensor([3]),
  };
  const n = o.batch ?? 'N';
  const weightInputs: IoSpec[] = o.weightsAsInputs ? Object.entries(inits).map(([name, t]) => ({ name, dims: [...t.dims] })) : [];
  return buildModel({
    irVersion: o.weightsAsInputs ? 3 : 8,
    opset: o.weightsAsInputs ? 9 : 13,
    inputs: [{ name: 'x', dims: [n, 3, 32, 32] }, ...weightInputs],
    outputs: [{ name: 'y', dims: [n, 3] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'BatchNormalization', name: 'bn1', inputs: ['c1', 'gamma', 'beta', 'mean', 'variance'], outputs: ['n1'] },
      { op: 'Relu', inputs: ['n1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: inits,
  });
}

/** Saves `m` as `path` + `path.data`, every initializer's bytes in the data file (data_location EXTERNAL). */
export function saveWithExternalData(path: string, m: ModelProto): void {
  const copy = decodeModel(encodeModel(m));
  const location = `${basename(path)}.data`;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of copy.graph!.initializer!) {
    const bytes = tensorRawBytes(tensorFromProto(t));
    t.rawData = new Uint8Array(0);
    t.floatData = [];
    t.dataLocation = 1;
    t.externalData = [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(bytes.length) }];
    parts.push(bytes);
    offset += bytes.length;
  }
  saveModel(path, copy);
  writeFileSync(join(path, '..', location), Buffer.concat(parts));
}

// The twins: conv1 (3->8, 3x3, pad 1) + ReLU, conv2 (8->8, 3x3, stride 2) + ReLU, global average pool, fc (8->3).
const W1 = ramp(216, 37);
const B1 = ramp(8, 3);
const W2 = ramp(576, 13);
const B2 = ramp(8, 5);
const FW = ramp(24, 7); // [8, 3], MatMul layout
const FB = ramp(3, 4);
const CONV1 = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) };
const CONV2 = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) };
/** Images reach models normalized: about [-2.2, 2.7]. */
const X_MAX = 2.8;

/** The float twin: the layers every quantized twin below must import to. */
export function floatTwin(): ModelProto {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 32, 32] }], outputs: [{ name: 'y', dims: ['N', 3] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: CONV1 },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: CONV2 },
      { op: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['r2'], outputs: ['p'] },
      { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'] },
      { op: 'MatMul', name: 'fc', inputs: ['f', 'fw'], outputs: ['m'] },
      { op: 'Add', name: 'fc_bias', inputs: ['m', 'fb'], outputs: ['y'] },
    ],
    initializers: {
      w1: floatTensor([8, 3, 3, 3], W1), b1: floatTensor([8], B1), w2: floatTensor([8, 8, 3, 3], W2), b2: floatTensor([8], B2),
      fw: floatTensor([8, 3], FW), fb: floatTensor([3], FB),
    },
  });
}

const scalar = (v: number): Tensor => floatTensor([], [v]);
const typed = (dt: DataTypeCode, dims: number[], v: number[]): Tensor => makeTensor(dt, dims, v);

/** Symmetric per-output-channel weights: integers and scales (`levels` = the largest magnitude, 127 or 7). */
export function quantizeRows(w: number[], rows: number, levels: number): { q: number[]; scales: number[] } {
  const per = w.length / rows;
  const scales = Array.from({ length: rows }, (_, r) => Math.max(...w.slice(r * per, (r + 1) * per).map(Math.abs)) / levels);
  return { q: w.map((v, i) => Math.round(v / scales[Math.floor(i / per)])), scales };
}

/** The largest |output| of a layer whose inputs stay within [-inMax, inMax]: a range no input can exceed. */
function bound(w: number[], rows: number, b: number[], inMax: number): number {
  const per = w.length / rows;
  return Math.max(...b.map((bias, r) => w.slice(r * per, (r + 1) * per).reduce((s, v) => s + Math.abs(v), 0) * inMax + Math.abs(bias)));
}

export interface QOperatorOptions {
  /** INT8 (onnxruntime's default) or INT4 weights: the importer reads 4 bits from the latter. */
  weightType?: typeof DataType.INT8 | typeof DataType.INT4;
  /** Default-domain opset: 13 (21 for INT4) unless set; DequantizeLinear reads per-channel scales from 13. */
  opset?: number;
}

/**
 * The QOperator twin, as onnxruntime's static quantizer writes it: QuantizeLinear of the input, QLinearConv
 * with the ReLU fused (output zero point 0), com.microsoft QLinearGlobalAveragePool, QLinearMatMul, then
 * DequantizeLinear and the float bias Add.
 */
export function qoperatorTwin(o: QOperatorOptions = {}): ModelProto {
  const wt = o.weightType ?? DataType.INT8;
  const levels = wt === DataType.INT4 ? 7 : 127;
  const xs = (2 * X_MAX) / 255;
  const r1 = bound(W1, 8, B1, X_MAX);
  const r2 = bound(W2, 8, B2, r1);
  const q1 = quantizeRows(W1, 8, levels);
  const q2 = quantizeRows(W2, 8, levels);
  const s1 = r1 / 255, s2 = r2 / 255;
  const fq = quantizeRows(FW, 1, 127); // per-tensor for the MatMul
  const ym = bound(FW.map((_, i) => FW[(i % 8) * 3 + Math.floor(i / 8)]), 3, [0, 0, 0], r2);
  const ys = (2 * ym) / 255;
  const nodes: NodeSpec[] = [
    { op: 'QuantizeLinear', name: 'x_quantize', inputs: ['x', 'xs', 'xzp'], outputs: ['xq'] },
    { op: 'QLinearConv', name: 'conv1', inputs: ['xq', 'xs', 'xzp', 'w1q', 'w1s', 'w1zp', 's1', 'zp0', 'b1q'], outputs: ['r1q'], attrs: CONV1 },
    { op: 'QLinearConv', name: 'conv2', inputs: ['r1q', 's1', 'zp0', 'w2q', 'w2s', 'w2zp', 's2', 'zp0', 'b2q'], outputs: ['r2q'], attrs: CONV2 },
    { op: 'QLinearGlobalAveragePool', name: 'gap', domain: 'com.microsoft', inputs: ['r2q', 's2', 'zp0', 's2', 'zp0'], outputs: ['pq'], attrs: { channels_last: attr.int(0) } },
    { op: 'Flatten', name: 'flat', inputs: ['pq'], outputs: ['fq'] },
    { op: 'QLinearMatMul', name: 'fc', inputs: ['fq', 's2', 'zp0', 'fwq', 'fws', 'fwzp', 'ys', 'yzp'], outputs: ['mq'] },
    { op: 'DequantizeLinear', name: 'm_dequantize', inputs: ['mq', 'ys', 'yzp'], outputs: ['m'] },
    { op: 'Add', name: 'fc_bias', inputs: ['m', 'fb'], outputs: ['y'] },
  ];
  const model = buildModel({
    opset: o.opset ?? (wt === DataType.INT4 ? 21 : 13),
    inputs: [{ name: 'x', dims: ['N', 3, 32, 32] }], outputs: [{ name: 'y', dims: ['N', 3] }], nodes,
    initializers: {
      xs: scalar(xs), xzp: typed(DataType.UINT8, [], [128]), zp0: typed(DataType.UINT8, [], [0]),
      w1q: typed(wt, [8, 3, 3, 3], q1.q), w1s: floatTensor([8], q1.scales), w1zp: typed(wt, [8], new Array(8).fill(0)),
      b1q: typed(DataType.INT32, [8], B1.map((b, c) => Math.round(b / (xs * q1.scales[c])))),
      s1: scalar(s1), w2q: typed(wt, [8, 8, 3, 3], q2.q), w2s: floatTensor([8], q2.scales), w2zp: typed(wt, [8], new Array(8).fill(0)),
      b2q: typed(DataType.INT32, [8], B2.map((b, c) => Math.round(b / (s1 * q2.scales[c])))),
      s2: scalar(s2), fwq: typed(DataType.INT8, [8, 3], fq.q), fws: scalar(fq.scales[0]), fwzp: typed(DataType.INT8, [], [0]),
      ys: scalar(ys), yzp: typed(DataType.UINT8, [], [128]), fb: floatTensor([3], FB),
    },
  });
  model.opsetImport.push({ domain: 'com.microsoft', version: 1 });
  return model;
}

/**
 * The dynamic twin, as onnxruntime's quantize_dynamic writes it: per layer DynamicQuantizeLinear ->
 * ConvInteger/MatMulInteger -> Cast -> Mul by (input scale x weight scale), the bias as an Add after.
 */
export function dynamicTwin(): ModelProto {
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  const layer = (name: string, op: 'ConvInteger' | 'MatMulInteger', x: string, w: number[], wDims: number[], b: number[], bDims: number[], out: string, attrs = {}) => {
    // onnxruntime's default for dynamic Conv: uint8 weights, one scale and zero point per tensor
    const lo = Math.min(...w), hi = Math.max(...w);
    const s = (hi - lo) / 255;
    const zp = Math.round(-lo / s);
    inits[`${name}_wq`] = typed(DataType.UINT8, wDims, w.map((v) => Math.min(255, Math.max(0, Math.round(v / s) + zp))));
    inits[`${name}_ws`] = scalar(s);
    inits[`${name}_wzp`] = typed(DataType.UINT8, [], [zp]);
    inits[`${name}_b`] = floatTensor(bDims, b);
    nodes.push(
      { op: 'DynamicQuantizeLinear', name: `${name}_x_quantize`, inputs: [x], outputs: [`${name}_xq`, `${name}_xs`, `${name}_xzp`] },
      { op, name, inputs: [`${name}_xq`, `${name}_wq`, `${name}_xzp`, `${name}_wzp`], outputs: [`${name}_int`], attrs },
      { op: 'Cast', name: `${name}_cast`, inputs: [`${name}_int`], outputs: [`${name}_cast_out`], attrs: { to: attr.int(DataType.FLOAT) } },
      { op: 'Mul', name: `${name}_scales_mul`, inputs: [`${name}_xs`, `${name}_ws`], outputs: [`${name}_scales`] },
      { op: 'Mul', name: `${name}_output_scale_mul`, inputs: [`${name}_cast_out`, `${name}_scales`], outputs: [`${name}_scaled`] },
      { op: 'Add', name: `${name}_bias_add`, inputs: [`${name}_scaled`, `${name}_b`], outputs: [out] },
    );
  };
  layer('conv1', 'ConvInteger', 'x', W1, [8, 3, 3, 3], B1, [1, 8, 1, 1], 'c1', CONV1);
  nodes.push({ op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] });
  layer('conv2', 'ConvInteger', 'r1', W2, [8, 8, 3, 3], B2, [1, 8, 1, 1], 'c2', CONV2);
  nodes.push({ op: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] });
  nodes.push({ op: 'GlobalAveragePool', name: 'gap', inputs: ['r2'], outputs: ['p'] }, { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'] });
  layer('fc', 'MatMulInteger', 'f', FW, [8, 3], FB, [3], 'y');
  return buildModel({ inputs: [{ name: 'x', dims: ['N', 3, 32, 32] }], outputs: [{ name: 'y', dims: ['N', 3] }], nodes, initializers: inits });
}

/**
 * A 1-D CNN over [N, 4, 64]: Conv1d(4->8, k5, pad 2) + ReLU, MaxPool1d(2), Conv1d(8->8, k3, stride 2, dilation
 * 1) + ReLU, GlobalAveragePool, Flatten, Gemm (8->3). Opset 13 (Squeeze/Unsqueeze take axes as inputs).
 */
export function conv1dNet(o: { opset?: number } = {}): ModelProto {
  return buildModel({
    opset: o.opset ?? 13,
    inputs: [{ name: 'x', dims: ['N', 4, 64] }], outputs: [{ name: 'y', dims: ['N', 3] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: attr.ints([5]), pads: attr.ints([2, 2]) } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', name: 'pool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: attr.ints([2]), strides: attr.ints([2]) } },
      { op: 'Conv', name: 'conv2', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: attr.ints([3]), strides: attr.ints([2]), pads: attr.ints([1, 1]) } },
      { op: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['r2'], outputs: ['g'] },
      { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w1: floatTensor([8, 4, 5], ramp(160, 37)), b1: floatTensor([8], ramp(8, 3)),
      w2: floatTensor([8, 8, 3], ramp(192, 13)), b2: floatTensor([8], ramp(8, 5)),
      fw: floatTensor([3, 8], ramp(24, 7)), fb: floatTensor([3], ramp(3, 2)),
    },
  });
}

/** The 2-D network conv1dNet is: the same layers on [N, 4, 1, 64]. */
export function conv1dAs2dNet(): ModelProto {
  const k2 = (k: number[]) => attr.ints([1, ...k]);
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 4, 1, 64] }], outputs: [{ name: 'y', dims: ['N', 3] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: k2([5]), pads: attr.ints([0, 2, 0, 2]) } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', name: 'pool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: k2([2]), strides: k2([2]) } },
      { op: 'Conv', name: 'conv2', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: k2([3]), strides: k2([2]), pads: attr.ints([0, 1, 0, 1]) } },
      { op: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['r2'], outputs: ['g'] },
      { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w1: floatTensor([8, 4, 1, 5], ramp(160, 37)), b1: floatTensor([8], ramp(8, 3)),
      w2: floatTensor([8, 8, 1, 3], ramp(192, 13)), b2: floatTensor([8], ramp(8, 5)),
      fw: floatTensor([3, 8], ramp(24, 7)), fb: floatTensor([3], ramp(3, 2)),
    },
  });
}

/** A ConvTranspose1d after a Conv1d: still refused, naming the layer. */
export function convTranspose1dNet(): ModelProto {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 4, 16] }], outputs: [{ name: 'y', dims: ['N', 2, 17] }],
    nodes: [
      { op: 'Conv', name: 'enc', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { kernel_shape: attr.ints([3]), pads: attr.ints([1, 1]) } },
      { op: 'ConvTranspose', name: 'dec', inputs: ['c1', 'w2'], outputs: ['y'], attrs: { kernel_shape: attr.ints([2]) } },
    ],
    initializers: { w1: floatTensor([8, 4, 3], ramp(96, 5)), w2: floatTensor([8, 2, 2], ramp(32, 3)) },
  });
}

/** What every style's test runs: each command a user has, on `model`, with tiny settings. */
export interface Commands {
  /** Image folder for calibration, eval and compare; without it, weight-only tflite quantization alone. */
  images?: string;
  /** Output folder for the quantized files. */
  out: string;
}

const ok = (r: Run, what: string): Run => {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r;
};

/**
 * `hwq sim`, then `hwq quantize` with tflite, bitsplit and lapq (A8W8, a few calibration images), `hwq sim` of
 * each .hwq, `hwq eval` of the model and each quantized model, and `hwq compare`; asserts each exits 0.
 * Returns the quantize runs by method.
 */
export async function everyCommand(model: string, c: Commands): Promise<Record<string, Run>> {
  const base = basename(model, '.onnx');
  ok(await hwq('sim', model), `sim ${base}`);
  const runs: Record<string, Run> = {};
  if (!c.images) {
    const q = join(c.out, `${base}-w8.onnx`), h = join(c.out, `${base}-w8.hwq`);
    runs.tflite = ok(await hwq('quantize', model, '--w8', '--method', 'tflite', '--out', q, '--hwq', h), `quantize ${base} --w8`);
    ok(await hwq('sim', h), `sim ${base}-w8.hwq`);
    return runs;
  }
  ok(await hwq('eval', model, '--data', c.images), `eval ${base}`);
  for (const method of ['tflite', 'bitsplit', 'lapq']) {
    const q = join(c.out, `${base}-${method}.onnx`), h = join(c.out, `${base}-${method}.hwq`);
    const extra = method === 'lapq' ? ['--lapq-evals', '10'] : method === 'bitsplit' ? ['--positions', '200'] : [];
    const args = ['quantize', model, '--a8w8', '--method', method, '--calib', c.images, '--calib-size', '6', '--sqnr-images', '2', '--out', q, '--hwq', h, ...extra];
    runs[method] = ok(await hwq(...args), `quantize ${base} --method ${method}`);
    ok(await hwq('sim', h), `sim ${base}-${method}.hwq`);
    ok(await hwq('eval', q, '--data', c.images), `eval ${base}-${method}`);
    ok(await hwq('compare', model, q, '--data', c.images), `compare ${base} with ${method}`);
  }
  return runs;
}

/** The twins' output on a fixed batch of two 3x32x32 inputs, run by onnxruntime. */
export async function twinOutput(bytes: Uint8Array): Promise<number[]> {
  const x = { dims: [2, 3, 32, 32], data: new Float32Array(2 * 3 * 32 * 32).map((_, i) => 2 * Math.sin(i * 0.37)) };
  const s = await openModel(bytes);
  try {
    return Array.from((await s.run({ x })).get('y')!.data as Float32Array);
  } finally {
    await s.release();
  }
}
