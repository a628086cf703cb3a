import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConvLayer, FcLayer } from '../../src/model/ir.js';
import { type IntegerLayer, im2col, integerLayerOf, layerAccumulators, layerGemmShape, runIntegerLayer } from '../../src/intmodel/execute.js';
import type { HwqLayer } from '../../src/intmodel/format.js';
import { requantize } from '../../src/intmodel/requant.js';
import { mulberry32, randInt } from '../../src/random.js';

const conv: ConvLayer = {
  kind: 'conv', name: 'c', inputs: ['input'], input: { c: 2, h: 5, w: 4 }, output: { c: 3, h: 3, w: 2 }, inC: 2, outC: 3, kernel: [3, 2],
  stride: [2, 2], pad: [1, 0, 1, 1], dilation: [1, 1], groups: 1, bias: true, activation: 'none',
};

test('conv accumulators over raw codes, with the bias holding -zp * sum w, equal the conv of (code - zp) with zero padding', () => {
  const r = mulberry32(3);
  const zp = 7;
  const K = 2 * 3 * 2;
  const w = Int32Array.from({ length: 3 * K }, () => randInt(r, -8, 7));
  const x = Int32Array.from({ length: 2 * 5 * 4 }, () => randInt(r, 0, 15));
  const bias = Int32Array.from({ length: 3 }, (_, c) => 100 * c - zp * w.slice(c * K, c * K + K).reduce((s, v) => s + v, 0));
  const L: IntegerLayer = { layer: conv, weights: w, bias, inZeroPoint: zp, m0: Int32Array.of(1, 1, 1), shift: Int32Array.of(0, 0, 0), outZeroPoint: 0,
    min: -128, max: 127 };
  assert.equal(layerGemmShape(conv), { M: 6, K, N: 3, groups: 1 });
  const acc = layerAccumulators(L, x);
  for (let c = 0; c < 3; c++) for (let oy = 0; oy < 3; oy++) for (let ox = 0; ox < 2; ox++) {
    let s = 100 * c;
    for (let ci = 0; ci < 2; ci++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 2; kx++) {
      const y = oy * 2 - 1 + ky;
      const xx = ox * 2 + kx;
      if (y >= 0 && y < 5 && xx >= 0 && xx < 4) s += w[c * K + (ci * 3 + ky) * 2 + kx] * (x[(ci * 5 + y) * 4 + xx] - zp);
    }
    assert.is(acc[c * 6 + oy * 2 + ox], s, `channel ${c} pixel (${oy}, ${ox})`);
  }
  // the bottom padding row of the last output row reads the zero point
  assert.is(im2col(conv, x, zp)[(2 * 2 + 0) * K + (0 * 3 + 2) * 2 + 0], zp);
});

test('fc outputs: requantize of w.x + b per channel; a residual takes the zero point\'s place; sums wrap at 32 bits', () => {
  const fc: FcLayer = { kind: 'fc', name: 'f', inputs: ['input'], input: { c: 3, h: 1, w: 1 }, output: { c: 2, h: 1, w: 1 }, inFeatures: 3,
    outFeatures: 2, bias: true, activation: 'relu' };
  const L: IntegerLayer = {
    layer: fc, weights: Int32Array.of(1, 2, 3, -4, 5, -6), bias: Int32Array.of(10, 2147483647), inZeroPoint: 0,
    m0: Int32Array.of(1 << 30, 1 << 30), shift: Int32Array.of(-1, 0), outZeroPoint: 3, min: 0, max: 255,
  };
  const x = Int32Array.of(5, -1, 2);
  assert.equal(Array.from(layerAccumulators(L, x)), [19, (2147483647 - 20 - 5 - 12) | 0]);
  assert.equal(Array.from(runIntegerLayer(L, x)), [requantize(19, 1 << 30, -1, 3, 0, 255), requantize(2147483610, 1 << 30, 0, 3, 0, 255)]);
  assert.equal(Array.from(runIntegerLayer(L, x, Int32Array.of(100, 0))), [requantize(19, 1 << 30, -1, 100, 0, 255), 255]);
  const wrap = { ...L, bias: Int32Array.of(0, 2147483647), weights: Int32Array.of(0, 0, 0, 1, 0, 0) };
  assert.is(layerAccumulators(wrap, x)[1], -2147483644);
  assert.throws(() => runIntegerLayer(L, x, Int32Array.of(1)), /residual has 1 codes/);
});

test('integerLayerOf takes a .hwq layer\'s arrays and ranges; refuses layers without an integer model', () => {
  const fc: FcLayer = { kind: 'fc', name: 'f', inputs: ['input'], input: { c: 2, h: 1, w: 1 }, output: { c: 1, h: 1, w: 1 }, inFeatures: 2,
    outFeatures: 1, bias: true, activation: 'none' };
  const act = { bits: 8, signed: false, scale: 0.1, zeroPoint: 0 };
  const good = {
    header: { name: 'f', layer: fc, act, requant: { zeroPoint: 4, min: 0, max: 255 } },
    weights: Int8Array.of(1, -1), bias: Int32Array.of(3), requant: { m0: Int32Array.of(1 << 30), shift: Int32Array.of(0), next: 1 },
  } as unknown as HwqLayer;
  const L = integerLayerOf(good, 'm.hwq');
  assert.equal([L.inZeroPoint, L.outZeroPoint, L.min, L.max, L.m0[0], L.bias![0]], [0, 4, 0, 255, 1 << 30, 3]);
  assert.equal(Array.from(runIntegerLayer(L, Int32Array.of(10, 4))), [requantize(9, 1 << 30, 0, 4, 0, 255)]);
  const h = (good as unknown as { header: object }).header;
  assert.throws(() => integerLayerOf({ ...good, header: { ...h, act: null } } as unknown as HwqLayer, 'm.hwq'), /'m.hwq' layer 'f' reads float activations/);
  assert.throws(() => integerLayerOf({ ...good, requant: null } as unknown as HwqLayer, 'm.hwq'), /no requantization/);
  assert.throws(() => integerLayerOf({ ...good, bias: Float32Array.of(0.5) } as unknown as HwqLayer, 'm.hwq'), /float bias/);
});

test.run();
