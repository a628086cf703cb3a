// A tiny CIFAR-style residual network built in code and quantized to .hwq: a stem conv, an identity block (its
// shortcut is the stem's output, read by two layers), a downsampling block with the option-A shortcut (strided
// Slice, zero channels padded on both sides), global average pooling and an fc. Shared by the network
// executor's tests and the RTL network tests.
import { join } from 'node:path';
import { rng, tempDir } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { floatTensor, int64Tensor } from '../../src/onnx/tensor.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { saveHwq } from '../../src/quant/hwq-export.js';
import { toQdqBytes } from '../../src/quant/qdq.js';
import type { QuantModel } from '../../src/quant/types.js';

export const TINY = { C0: 3, H: 8, W: 8, C1: 4, C2: 8, K: 5 };
const { C0, H, W, C1, C2, K } = TINY;

export function tinyResnet(): ReturnType<typeof buildModel> {
  const r0 = rng(23);
  const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * (r0() - 0.5));
  const conv = (name: string, x: string, w: string, b: string, y: string, stride = 1) => ({
    op: 'Conv', name, inputs: [x, w, b], outputs: [y],
    attrs: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]), strides: attr.ints([stride, stride]) },
  });
  const cw = (o: number, i: number) => floatTensor([o, i, 3, 3], rand(o * i * 9, 0.8));
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', C0, H, W] }],
    outputs: [{ name: 'y', dims: ['N', K] }],
    nodes: [
      conv('stem', 'x', 'w0', 'b0', 'c0'),
      { op: 'Relu', name: 'r0', inputs: ['c0'], outputs: ['s0'] },
      conv('b1c1', 's0', 'w1', 'b1', 'c1'),
      { op: 'Relu', name: 'r1', inputs: ['c1'], outputs: ['s1'] },
      conv('b1c2', 's1', 'w2', 'b2', 'c2'),
      { op: 'Add', name: 'add1', inputs: ['c2', 's0'], outputs: ['a1'] },
      { op: 'Relu', name: 'ra1', inputs: ['a1'], outputs: ['t1'] },
      conv('b2c1', 't1', 'w3', 'b3', 'c3', 2),
      { op: 'Relu', name: 'r3', inputs: ['c3'], outputs: ['s3'] },
      conv('b2c2', 's3', 'w4', 'b4', 'c4'),
      { op: 'Slice', name: 'sc', inputs: ['t1', 'st', 'en', 'ax', 'sp'], outputs: ['sub'] },
      { op: 'Pad', name: 'scpad', inputs: ['sub', 'pads'], outputs: ['subp'] },
      { op: 'Add', name: 'add2', inputs: ['c4', 'subp'], outputs: ['a2'] },
      { op: 'Relu', name: 'ra2', inputs: ['a2'], outputs: ['t2'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['t2'], outputs: ['g'] },
      { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'w5', 'b5'], outputs: ['y'], attrs: { transB: attr.int(1) } },
    ],
    initializers: {
      w0: cw(C1, C0), b0: floatTensor([C1], rand(C1, 0.2)),
      w1: cw(C1, C1), b1: floatTensor([C1], rand(C1, 0.2)),
      w2: cw(C1, C1), b2: floatTensor([C1], rand(C1, 0.2)),
      w3: cw(C2, C1), b3: floatTensor([C2], rand(C2, 0.2)),
      w4: cw(C2, C2), b4: floatTensor([C2], rand(C2, 0.2)),
      w5: floatTensor([K, C2], rand(K * C2, 2)), b5: floatTensor([K], rand(K, 0.2)),
      st: int64Tensor([2], [0, 0]), en: int64Tensor([2], [H, W]), ax: int64Tensor([2], [2, 3]), sp: int64Tensor([2], [2, 2]),
      pads: int64Tensor([8], [0, (C2 - C1) / 2, 0, 0, 0, (C2 - C1) / 2, 0, 0]),
    },
  });
}

/** Seeded float inputs [C0][H][W] in -2..2. */
export function tinyInputs(count: number, seed: number): Float32Array[] {
  const g = rng(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: C0 * H * W }, () => 4 * g() - 2));
}

/** The tiny network quantized at a<bits>w<bits> (first and last layers 8 bits), written as .hwq and as QDQ ONNX (layers form). */
export async function quantizeTiny(bits: number): Promise<{ hwq: string; qdq: Uint8Array; q: QuantModel }> {
  const inputs = tinyInputs(16, 5);
  async function* batches(): AsyncGenerator<Batch> {
    for (let i = 0; i < 4; i++) {
      const data = new Float32Array(4 * C0 * H * W);
      for (let j = 0; j < 4; j++) data.set(inputs[4 * i + j], j * C0 * H * W);
      yield { start: 4 * i, count: 4, data, labels: new Int32Array(4) };
    }
  }
  const { model: q } = await quantizeModel(tinyResnet(), 'tiny-resnet', 'tiny', {
    aBits: bits, wBits: bits, firstLast: 8, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2 },
    calibration: { batches, count: 16, inputDims: (b) => [b.count, C0, H, W] },
  });
  const hwq = join(tempDir('hwq-tiny-resnet-'), 'tiny.hwq');
  saveHwq(hwq, q);
  return { hwq, qdq: toQdqBytes(q), q };
}
