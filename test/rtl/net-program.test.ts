// The network program (rtl/net-program.ts) run word by word (rtl/net-exec.ts): input tiles read through the windows, weights loaded
// per tile, residuals read with option-A strides and channel offsets and rescaled in the output lane, pools on the
// host. Every tensor it leaves in memory and the logits must equal the network executor's; the tiles it would run
// must hold the operands the layer compiler derives from the window-order GEMM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadHwq } from '../../src/intmodel/format.js';
import { runNetwork } from '../../src/intmodel/run-network.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { rtlParams } from '../../rtl/params.js';
import { compileNetwork } from '../../rtl/net-program.js';
import { runProgram, tensorCodes } from '../../rtl/net-exec.js';
import { windowGemm, windowOf } from '../../rtl/window.js';
import { inputTile, rowStarts, tileAddress, walkOffsets, windowRead, windowSteps } from '../../rtl/walk.js';
import { prng, randInt } from '../../rtl/verify.js';
import { integerLayerOf } from '../../src/intmodel/execute.js';
import { layerAccumulators } from '../../src/intmodel/execute.js';
import { hardwareMode } from '../../src/intmodel/hardware-modes.js';
import { quantizeTiny, tinyInputs } from '../intmodel/tiny-resnet.js';
import { cifarImages, quantizeResnet20 } from '../intmodel/resnet20.js';
import { withShared } from '../helpers.js';
import { decodeProgram, encodeProgram } from '../../rtl/isa.js';
import { loadConfig } from '../../hw/presets.js';
import { simTiling } from '../../src/jobs/kinds/rtl-image.js';
import { layerTiming } from '../../sim/simulate.js';

const CASES = [[4, 2, 2, 'own'], [8, 2, 2, 'own'], [4, 8, 8, 'own'], [2, 4, 2, 'own'], [4, 2, 2, 'simulator'], [8, 4, 2, 'simulator']] as const;
for (const [bits, rows, cols, tiling] of CASES) {
  test(`tiny residual network a${bits}w${bits} on ${rows}x${cols}, ${tiling} tiling: the program leaves the executor's codes in memory, and its logits`, async () => {
    const { hwq } = await quantizeTiny(bits);
    const model = loadHwq(hwq);
    const cfg = vc709Sized(rows, cols);
    const p = rtlParams(cfg);
    const prog = compileNetwork(model, cfg, p, hwq, tiling === 'simulator' ? simTiling(cfg) : undefined);
    if (tiling === 'simulator') assert.ok(prog.layers.some((l) => l.source === 'simulator'), 'some layer runs the simulator\'s tiling');
    assert.is(prog.instrs[prog.instrs.length - 1].op, 'end');
    assert.equal(prog.layers.map((l) => l.name), ['stem', 'b1c1', 'b1c2', 'b2c1', 'b2c2', 'fc']);
    for (const x of tinyInputs(3, 17 + bits)) {
      const want = runNetwork(model, x, hwq);
      const got = runProgram(prog, p, x);
      for (const [name, t] of want.tensors) {
        const held = prog.tensors.get(name);
        assert.ok(held, `the program holds '${name}'`);
        for (const c of held!.copies) assert.equal(Array.from(tensorCodes(got.memory, c)), Array.from(t.codes), name);
      }
      assert.equal(Array.from(got.accumulators), Array.from(want.accumulators));
    }
  });
}

for (const bits of [4, 8]) {
  test(`the binary program (a${bits}w${bits}, 4x2): decoded and run, it leaves the same memory as the compiled one`, async () => {
    const { hwq } = await quantizeTiny(bits);
    const model = loadHwq(hwq);
    const cfg = vc709Sized(4, 2);
    const p = rtlParams(cfg);
    const prog = compileNetwork(model, cfg, p, hwq);
    const words = encodeProgram(prog.instrs, p);
    const decoded = decodeProgram(words, p);
    assert.equal(decoded.map((i) => i.op), prog.instrs.map((i) => i.op));
    assert.equal(Array.from(encodeProgram(decoded, p)), Array.from(words), 'encoding the decoded program gives the same words');
    const [x] = tinyInputs(1, 5);
    const a = runProgram(prog, p, x);
    const b = runProgram({ ...prog, instrs: decoded }, p, x);
    assert.equal(Array.from(b.memory), Array.from(a.memory));
    assert.throws(() => decodeProgram(Uint32Array.of(0x7f), p), /opcode 127 is not one of/);
  });
}

test('the controller\'s walk: per-row digits stepped by ROWS words give every window read of windowRead, on random tiles', () => {
  const r = prng(41);
  for (let n = 0; n < 300; n++) {
    const rows = [1, 2, 4, 8, 16][randInt(r, 0, 4)];
    const k = { kh: randInt(r, 1, 5), kw: randInt(r, 1, 5), strideY: randInt(r, 1, 3), strideX: randInt(r, 1, 3), dilY: randInt(r, 1, 2), dilX: randInt(r, 1, 2) };
    const gs = randInt(r, 1, 12);
    const blockRows = randInt(r, 1, 4);
    const blockCols = randInt(r, 1, 5);
    const th = (blockRows - 1) * k.strideY + (k.kh - 1) * k.dilY + 1;
    const tw = (blockCols - 1) * k.strideX + (k.kw - 1) * k.dilX + 1;
    const t = inputTile(th, tw, gs, rows, tw + randInt(r, 0, 3));
    const S = Math.ceil((k.kh * k.kw * gs) / rows);
    const M = blockRows * blockCols;
    const offs = walkOffsets(windowSteps(t, k, blockCols, rows, 16), rowStarts(t, k, rows), M, S, 16);
    for (let m = 0; m < M; m++) for (let s = 0; s < S; s++) for (let row = 0; row < rows; row++) {
      const at = windowRead(t, k, Math.floor(m / blockCols), m % blockCols, s * rows + row);
      if (!at) continue;
      assert.is(at.g % t.d, row % t.d, 'the row reads its own bank');
      assert.is(offs[m * S + s][row], tileAddress(t, at.pixel, at.g), `case ${n} m ${m} s ${s} row ${row}`);
    }
  }
});

test('the window order: a conv in window order equals its im2col GEMM, pad words where the window leaves the image', async () => {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const h = model.layers[1];
  const L = integerLayerOf(h, hwq);
  const l = h.header.layer;
  if (l.kind !== 'conv') throw new Error('b1c1 is a conv');
  const mode = hardwareMode({ a: 4, w: 4 }, { maxBits: 8, name: 'test' });
  const shape = { c: l.inC, h: l.input.h, w: l.input.w };
  const input = Int32Array.from({ length: shape.c * shape.h * shape.w }, (_, i) => (i * 7) % 16);
  const g = windowGemm(L, input, shape, mode);
  // Sums over the permuted reduction are the layer's accumulators less the bias.
  const acc = layerAccumulators({ ...L, bias: null }, input);
  for (let m = 0; m < g.M; m++) for (let n = 0; n < g.N; n++) {
    let s = 0;
    for (let k = 0; k < g.K; k++) s += g.a[m * g.K + k] * g.w[k * g.N + n];
    assert.is(s, acc[n * g.M + m], `pixel ${m} channel ${n}`);
  }
  // On an input tile of 10x10 pixels (8x8 and the padding) of one channel word, on 4 rows: word j of output
  // pixel (oy, ox) is tile pixel (oy + ky, ox + kx); bank r = j % 4 holds every word (d = gcd(1, 4) = 1).
  const win = windowOf(l, shape, 4);
  const t = inputTile(10, 10, win.G, 4);
  assert.equal(windowRead(t, win, 0, 0, 0), { pixel: 0, g: 0 });
  assert.equal(windowRead(t, win, 2, 3, 4), { pixel: (2 + 1) * 10 + 3 + 1, g: 0 }, 'the centre of the window of (2, 3)');
  assert.is(windowRead(t, win, 0, 0, 9), null, 'past the 9-word reduction');
  assert.is(tileAddress(inputTile(10, 10, 4, 8), 7, 3), 7, 'gs 4 on 8 rows: d 4, one word a pixel in each bank');
});

withShared(test, 'ResNet-20 a4w4 on the vc709 config: the program equals the network executor on CIFAR-10 images',
  [['models', 'cifar10-resnet20.onnx'], ['data', 'cifar10', 'test']], async ([onnx, root]) => {
  const { hwq } = await quantizeResnet20(onnx);
  const model = loadHwq(hwq);
  const cfg = loadConfig('vc709');
  const p = rtlParams(cfg);
  const prog = compileNetwork(model, cfg, p, hwq, simTiling(cfg));
  assert.is(prog.layers.length, 20);
  assert.is(prog.hostSteps.length, 1, 'the average pool');
  // Under the simulator's own tilings every layer's array tiles take exactly the simulator's compute cycles.
  for (const [i, l] of prog.layers.entries()) {
    assert.is(l.source, 'simulator', l.name);
    const ir = model.layers[i].header.layer;
    assert.is(l.tileCycles, layerTiming(ir, cfg, ir.precision ?? { a: 8, w: 8 }, 1).computeCycles, l.name);
  }
  for (const { x, name } of cifarImages(root, 1).slice(0, 3)) {
    const want = runNetwork(model, x, hwq);
    const got = runProgram(prog, p, x);
    assert.equal(Array.from(got.accumulators), Array.from(want.accumulators), name);
    for (const [t, codes] of want.tensors) assert.equal(Array.from(tensorCodes(got.memory, prog.tensors.get(t)!.copies[0])), Array.from(codes.codes), `${name} ${t}`);
  }
});

test.run();
