// Layers of a quantized .hwq model on the generated core: a network built in code (Conv -> Relu -> Conv 1x1 ->
// Relu -> Conv stride 2 -> Flatten -> Gemm) quantized at a4w4 (first and last layers 8 bits), written and read
// back as .hwq; its conv layers run one after the other on bitfusion_layer (2x2 array, Verilator), each fed
// the codes the RTL wrote for the previous one, and must equal the integer model to the bit and the cycle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rng, tempDir, withVerilator } from '../helpers.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { saveHwq } from '../../src/quant/hwq-export.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { runIntegerLayer } from '../../src/intmodel/execute.js';
import { gridMax, gridMin } from '../../src/intmodel/grid.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { generateRtl } from '../../rtl/generate.js';
import { hwqLayerProgram, layerCycles } from '../../rtl/layer.js';
import { checkLayer } from '../../rtl/layer-verify.js';
import { prng, randInt } from '../../rtl/verify.js';

const C0 = 3, H = 6, W = 6, C1 = 5, C2 = 6, C3 = 4, K = 3;
const FLAT = C3 * 3 * 3;
const r0 = rng(17);
const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * (r0() - 0.5));

function floatModel() {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', C0, H, W] }],
    outputs: [{ name: 'y', dims: ['N', K] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: attr.ints([1, 1]) } },
      { op: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] },
      { op: 'Conv', name: 'conv3', inputs: ['r2', 'w3', 'b3'], outputs: ['c3'], attrs: { pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]),
        kernel_shape: attr.ints([3, 3]) } },
      { op: 'Flatten', name: 'flat', inputs: ['c3'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'w4', 'b4'], outputs: ['y'] },
    ],
    initializers: {
      w1: floatTensor([C1, C0, 3, 3], rand(C1 * C0 * 9)), b1: floatTensor([C1], rand(C1, 0.2)),
      w2: floatTensor([C2, C1, 1, 1], rand(C2 * C1)), b2: floatTensor([C2], rand(C2, 0.2)),
      w3: floatTensor([C3, C2, 3, 3], rand(C3 * C2 * 9)), b3: floatTensor([C3], rand(C3, 0.2)),
      w4: floatTensor([FLAT, K], rand(FLAT * K)), b4: floatTensor([K], rand(K, 0.2)),
    },
  });
}

async function* calibBatches(): AsyncGenerator<Batch> {
  const g = rng(5);
  for (let i = 0; i < 2; i++) yield { start: 4 * i, count: 4, data: Float32Array.from({ length: 4 * C0 * H * W }, () => 4 * g() - 2),
    labels: new Int32Array(4) };
}

withVerilator(test, '.hwq conv layers on bitfusion_layer 2x2, chained through the RTL\'s own output codes, equal the integer model', async () => {
  const { model: q } = await quantizeModel(floatModel(), 'test', 'tiny', {
    aBits: 4, wBits: 4, firstLast: 8, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2 },
    calibration: { batches: calibBatches, count: 2, inputDims: (b) => [b.count, C0, H, W] },
  });
  const path = join(tempDir('hwq-rtl-layer-'), 'tiny.hwq');
  saveHwq(path, q);
  const model = loadHwq(path);
  assert.equal(model.layers.map((l) => [l.header.name, l.header.aBits, l.header.wBits, l.requant?.next ?? null]), [
    ['conv1', 8, 8, 1], ['conv2', 4, 4, 2], ['conv3', 4, 4, 3], ['fc', 8, 8, null],
  ]);
  const cfg = vc709Sized(2, 2);
  const design = generateRtl(cfg);
  const act = model.layers[0].header.act!;
  const r = prng(9);
  let input: ArrayLike<number> = Int32Array.from({ length: C0 * H * W }, () => randInt(r, gridMin(act.bits, act.signed), gridMax(act.bits, act.signed)));
  let want: ArrayLike<number> = input;
  for (let i = 0; i < 3; i++) {
    // conv1: K = 27 at 8x8 on 2 rows -> 14 steps, split into tiles of 5 (two continuation tiles per column tile)
    const { layer, program } = hwqLayerProgram(model, i, input, cfg, design.params, path, { tiling: i === 0 ? { maxSteps: 5 } : {} });
    const res = checkLayer(design, 'verilator', program);
    assert.equal(res.problems, [], `layer ${i}`);
    want = runIntegerLayer(layer, want);
    const distinct = new Set(Array.from(want)).size;
    assert.equal(Array.from(res.codes), Array.from(want), `layer ${i}`);
    assert.ok(distinct > 2, `layer ${i}: ${distinct} distinct codes`);
    assert.is(res.rtlCycles, layerCycles(program, design.params));
    input = res.codes;
  }
});

test.run();
