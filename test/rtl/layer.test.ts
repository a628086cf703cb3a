// Whole layers on the generated core: reductions split over continuation tiles, the output path against the
// integer model's requantization, and two layers of a tiny network, under Verilator (one build per array
// size, many runs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pairsPerCycle } from '../../hw/fusion-unit.js';
import { getPreset } from '../../hw/presets.js';
import { referenceTile, runTile } from '../../hw/stepped-array.js';
import type { ConvLayer, FcLayer } from '../../src/model/ir.js';
import { type IntegerLayer, runIntegerLayer } from '../../src/intmodel/execute.js';
import { quantizeMultiplier, requantize } from '../../src/intmodel/requant.js';
import { compileLayer } from '../../rtl/compile.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { generateRtl, sourcesOf } from '../../rtl/generate.js';
import { type LayerOptions, compileIntegerLayer, layerCycles } from '../../rtl/layer.js';
import { actWrites, checkLayer, outputWriteProblem } from '../../rtl/layer-verify.js';
import {
  type OutputPass, outputCode, outputPassCycles, outputPassProblem, packActivations, runOutputPass, unpackActivations,
} from '../../rtl/output-path.js';
import { lintVerilator } from '../../rtl/sim.js';
import { packDescriptor } from '../../rtl/descriptor.js';
import { prng, randInt } from '../../rtl/verify.js';
import { withIcarus, withVerilator } from '../helpers.js';

function conv(name: string, inC: number, outC: number, h: number, w: number, k: number, stride = 1, pad = (k - 1) / 2): ConvLayer {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  return {
    kind: 'conv', name, inputs: ['input'], input: { c: inC, h, w }, output: { c: outC, h: oh, w: ow }, inC, outC, kernel: [k, k],
    stride: [stride, stride], pad: [pad, pad, pad, pad], dilation: [1, 1], groups: 1, bias: true, activation: 'relu',
  };
}

function multipliers(values: number[]): { m0: Int32Array; shift: Int32Array } {
  const q = values.map((v) => quantizeMultiplier(v));
  return { m0: Int32Array.from(q.map((x) => x.m0)), shift: Int32Array.from(q.map((x) => x.shift)) };
}

/** A random layer: weights in the signed wBits range, bias, per-channel multipliers around `scale`. */
function randomLayer(layer: ConvLayer | FcLayer, wBits: number, seed: number, scale: number, out: Pick<IntegerLayer, 'outZeroPoint' | 'min' | 'max'>,
  inZeroPoint = 0): IntegerLayer {
  const r = prng(seed);
  const outC = layer.kind === 'conv' ? layer.outC : layer.outFeatures;
  const K = layer.kind === 'conv' ? layer.inC * layer.kernel[0] * layer.kernel[1] : layer.inFeatures;
  const top = 2 ** (wBits - 1) - 1;
  return {
    layer, weights: Int32Array.from({ length: outC * K }, () => randInt(r, -top - 1, top)),
    bias: Int32Array.from({ length: outC }, () => randInt(r, -4000, 4000)), inZeroPoint,
    ...multipliers(Array.from({ length: outC }, (_, c) => scale * (0.6 + 0.15 * c))), ...out,
  };
}

function codes(n: number, lo: number, hi: number, seed: number): Int32Array {
  const r = prng(seed);
  return Int32Array.from({ length: n }, () => randInt(r, lo, hi));
}

test('compileLayer splits a long reduction into continuation tiles whose chain equals the GEMM', () => {
  const p = generateRtl(vc709Sized(2, 3)).params;
  const r = prng(8);
  const g = { mode: { a: 4 as const, w: 8 as const, unit: 8 as const }, aSigned: false, wSigned: true, M: 7, K: 50, N: 4, a: new Int32Array(7 * 50),
    w: new Int32Array(50 * 4) };
  g.a.forEach((_, i) => (g.a[i] = randInt(r, 0, 15)));
  g.w.forEach((_, i) => (g.w[i] = randInt(r, -128, 127)));
  // 4x8: 2 pairs per cycle on 2 rows -> 13 steps; 4 per tile -> 4 tiles per column tile, 2 column tiles
  const layer = compileLayer(g, p, { maxSteps: 4, maxPixels: 5 });
  assert.is(layer.totalSteps, 13);
  assert.equal(layer.tiles.map((t) => t.tile.S), [4, 4, 4, 1, 4, 4, 4, 1, 4, 4, 4, 1, 4, 4, 4, 1]);
  assert.equal(layer.tiles.map((t) => t.descriptor.accumulate), [false, true, true, true, false, true, true, true, false, true, true, true, false,
    true, true, true]);
  // the tiles of one chunk share an OBUF half; column tile j sits at j*mChunk
  assert.equal(layer.tiles.map((t) => t.descriptor.obufHalf), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(layer.tiles.map((t) => t.descriptor.obufBase), [0, 0, 0, 0, 5, 5, 5, 5, 0, 0, 0, 0, 5, 5, 5, 5]);
  assert.equal(layer.tiles.slice(0, 4).map((t) => t.descriptor.half), [0, 1, 0, 1]);
  const out = new Int32Array(g.M * g.N);
  layer.tiles.forEach((ct, i) => {
    const o = layer.origins[i];
    if (!o.last) return;
    const run = runTile(ct.tile).out;
    assert.equal(Array.from(run), Array.from(referenceTile(ct.tile)));
    for (let m = 0; m < ct.tile.M; m++) for (let c = 0; c < 3 && o.n0 + c < g.N; c++) out[(o.m0 + m) * g.N + o.n0 + c] = run[m * 3 + c];
  });
  for (let m = 0; m < g.M; m++) for (let n = 0; n < g.N; n++) {
    let s = 0;
    for (let k = 0; k < g.K; k++) s += g.a[m * g.K + k] * g.w[k * g.N + n];
    assert.is(out[m * g.N + n], s, `out[${m}][${n}]`);
  }
  assert.throws(() => compileLayer(g, p, { maxSteps: p.maxSteps + 1 }), /tile steps/);
});

test('descriptor: acc and ob_half sit above the original fields; ob_half defaults to half', () => {
  const p = generateRtl(vc709Sized(8, 8)).params;
  const base = { mode: { a: 8 as const, w: 8 as const, unit: 8 as const }, aSigned: false, wSigned: false, half: 1 as const, M: 1, S: 1, ibufBase: 0,
    wbufBase: 0, obufBase: 0 };
  const plain = packDescriptor(base, p);
  assert.is((plain >> 56n) & 3n, 2n);
  assert.is((packDescriptor({ ...base, accumulate: true, obufHalf: 0 }, p) >> 56n) & 3n, 1n);
});

test('outputCode is the integer model\'s requantize after a wrapping bias add; runOutputPass packs words and times them', () => {
  assert.is(outputCode(3, 0, 2 ** 30, 0, 0, -128, 127), 2); // 1.5 rounds up
  assert.is(outputCode(-3, 0, 2 ** 30, 0, 0, -128, 127), -1); // -1.5 rounds up too (the doubling high multiply's nudge)
  assert.is(outputCode(-12, 0, 2 ** 30, -2, 0, -128, 127), -2); // -12/8 = -1.5: the right shift rounds away from zero
  assert.is(outputCode(2147483647, 1, 2 ** 30, 1, 0, -128, 127), -128); // the int32 sum wraps to INT32_MIN
  assert.is(outputCode(100, 5, 1518500250, -3, 7, -128, 127), requantize(105, 1518500250, -3, 7, -128, 127));
  const pass: OutputPass = {
    M: 2, N: 3, mStride: 2, obufHalf: 0, obufBase: 0, bits: 4, perWord: 2, signed: true, zeroPoint: 0, min: -8, max: 7, residual: false, outBase: 10,
      resBase: 0,
  };
  const params = { bias: Int32Array.of(0, 0, 0), m0: Int32Array.of(2 ** 30, 2 ** 30, 2 ** 30), shift: Int32Array.of(1, 1, 1) };
  const acc = (m: number, n: number) => [[1, -2, 30], [-30, 5, 0]][m][n];
  const w = runOutputPass(pass, 2, params, acc);
  // pixel 0: 1, -2 | 7 (clamped); pixel 1: -8 (clamped), 5 | 0
  // on 2 lanes: pixel 0's groups are cycles 0 (channels 0, 1) and 1 (channel 2), pixel 1's cycles 2 and 3; each word leaves 6 later
  assert.equal(w.map((x) => [x.cycle, x.addr, x.data]), [[6, 10, 0xe1], [7, 11, 0x7], [8, 12, 0x58], [9, 13, 0]]);
  assert.is(outputPassCycles(pass, 2), 10);
  // the same pass one lane wide is the element-serial unit: a cycle per code
  assert.equal(runOutputPass(pass, 1, params, acc).map((x) => x.cycle), [7, 8, 10, 11]);
  assert.is(outputPassCycles(pass, 1), 12);
  assert.equal(Array.from(unpackActivations(Uint32Array.from(w.map((x) => x.data)), 2, 3, 4, 2, true)), [1, -8, -2, 5, 7, 0]);
  const p = generateRtl(vc709Sized(2, 2)).params;
  assert.is(outputPassProblem(pass, p), undefined);
  assert.match(outputPassProblem({ ...pass, perWord: 9 }, p) ?? '', /do not fit a 32-bit word/);
  assert.match(outputPassProblem({ ...pass, zeroPoint: 300 }, p) ?? '', /zero point 300/);
});

for (const [R, C] of [[2, 2], [2, 3]] as Array<[number, number]>) {
  const design = generateRtl(vc709Sized(R, C));
  const p = design.params;

  withVerilator(test, `${R}x${C}: bitfusion_layer lints clean; a 3x3 conv over 4 continuation tiles equals the integer model to the bit and cycle`, () => {
    assert.is(lintVerilator(sourcesOf(design), 'bitfusion_layer'), '');
    const layer = conv('conv', 6, 5, 5, 5, 3);
    const L = randomLayer(layer, 8, 11 + C, 0.0004, { outZeroPoint: 0, min: 0, max: 15 });
    const input = codes(6 * 25, 0, 255, 3);
    // K = 54 on 2 rows at 8x8: 27 steps, 8 per tile -> 4 tiles per column tile; 10 pixels per chunk -> 3 chunks
    const prog = compileIntegerLayer(L, input, p, { aBits: 8, wBits: 8, aSigned: false, out: { bits: 4, perWord: 8, signed: false },
      tiling: { maxSteps: 8, maxPixels: 10 } });
    const tiles = prog.steps.filter((s) => s.kind === 'tile');
    assert.is(tiles.length, 3 * Math.ceil(5 / C) * 4);
    assert.is(tiles.filter((s) => s.kind === 'tile' && s.tile.descriptor.accumulate).length, 3 * Math.ceil(5 / C) * 3);
    const res = checkLayer(design, 'verilator', prog);
    assert.equal(res.problems, []);
    const want = runIntegerLayer(L, input);
    assert.equal(Array.from(res.codes), Array.from(want));
    // ReLU to 4 bits: the outputs use the range, not one code
    assert.ok(new Set(want).size > 8, `${new Set(want).size} distinct codes`);
    assert.is(res.rtlCycles, res.modelCycles);
    assert.is(res.modelCycles, layerCycles(prog, p));
  });
}

withIcarus(test, '2x2 without double buffering: a conv split over continuation tiles, one OBUF half for every chunk (Icarus)', () => {
  const cfg = vc709Sized(2, 2);
  for (const b of [cfg.ibuf, cfg.wbuf, cfg.obuf]) b.doubleBuffered = false;
  const single = generateRtl(cfg);
  assert.is(lintVerilator(sourcesOf(single), 'bitfusion_layer'), '');
  const L = randomLayer(conv('conv', 4, 3, 4, 4, 3, 2), 4, 51, 0.003, { outZeroPoint: -3, min: -8, max: 7 }, 2);
  const input = codes(4 * 16, -8, 7, 52);
  const prog = compileIntegerLayer(L, input, single.params, { aBits: 4, wBits: 4, aSigned: true, out: { bits: 4, perWord: 4, signed: true },
    tiling: { maxSteps: 2, maxPixels: 3 } });
  assert.ok(prog.steps.every((s) => s.kind !== 'tile' || s.tile.descriptor.obufHalf === 0));
  const res = checkLayer(single, 'icarus', prog);
  assert.equal(res.problems, []);
  assert.equal(Array.from(res.codes), Array.from(runIntegerLayer(L, input)));
});

const design = generateRtl(vc709Sized(2, 2));
const p = design.params;

/**
 * A 1x1 convolution with one input channel and weight 1: accumulator = input code + bias, so every channel's
 * accumulators are chosen exactly. Channels: ties of the doubling high multiply (x 0.5), ties of the rounding
 * right shift (x 1/16), a left shift that saturates int32, a bias that wraps int32, and an ordinary multiplier.
 */
function outputPathLayer(): { L: IntegerLayer; input: Int32Array } {
  const layer = conv('probe', 1, 5, 4, 4, 1);
  const input = Int32Array.of(-128, -127, -24, -9, -8, -3, -1, 0, 1, 3, 8, 9, 24, 40, 100, 127);
  const L: IntegerLayer = {
    layer, weights: Int32Array.of(1, 1, 1, 1, 1), bias: Int32Array.of(0, 0, 2147483000, 2147483640, -300),
    inZeroPoint: 0, m0: Int32Array.of(2 ** 30, 2 ** 30, 2 ** 30, 2 ** 30, 1518500250), shift: Int32Array.of(0, -3, 20, 0, -1),
    outZeroPoint: -5, min: -128, max: 127,
  };
  return { L, input };
}

const OUTPUT_CASES: Array<{ name: string; out: LayerOptions['out']; range: Pick<IntegerLayer, 'outZeroPoint' | 'min' | 'max'>; residual?: boolean }> = [
  { name: 'signed 8-bit, zero point -5', out: { bits: 8, perWord: 4, signed: true }, range: { outZeroPoint: -5, min: -128, max: 127 } },
  { name: 'ReLU to unsigned 8-bit', out: { bits: 8, perWord: 3, signed: false }, range: { outZeroPoint: 0, min: 0, max: 255 } },
  { name: 'ReLU6 as a clamp to 0..40', out: { bits: 8, perWord: 1, signed: false }, range: { outZeroPoint: 0, min: 0, max: 40 } },
  { name: 'signed 4-bit saturation with a residual add', out: { bits: 4, perWord: 8, signed: true }, range: { outZeroPoint: 1, min: -8, max: 7 },
    residual: true },
  { name: 'signed 2-bit, 16 to a word, residual', out: { bits: 2, perWord: 16, signed: true }, range: { outZeroPoint: 0, min: -2, max: 1 }, residual: true },
];

withVerilator(test, '2x2: the output path requantizes like the integer model: rounding ties, negative codes, saturation, ReLU, ReLU6, residual', () => {
  for (const c of OUTPUT_CASES) {
    const { L: base, input } = outputPathLayer();
    const L = { ...base, ...c.range };
    const lo = c.range.min;
    const hi = c.range.max;
    const residual = c.residual ? codes(5 * 16, lo, hi, 21) : undefined;
    const prog = compileIntegerLayer(L, input, p, { aBits: 8, wBits: 8, aSigned: true, out: c.out, residual });
    const res = checkLayer(design, 'verilator', prog);
    assert.equal(res.problems, [], c.name);
    const want = runIntegerLayer(L, input, residual);
    assert.equal(Array.from(res.codes), Array.from(want), c.name);
    // every case reaches both clamp bounds
    assert.ok(want.includes(lo) && want.includes(hi), `${c.name}: ${Array.from(want)}`);
  }
  // the probe channels do what they claim under the signed 8-bit case
  const { L, input } = outputPathLayer();
  const out = runIntegerLayer(L, input);
  const ch = (c: number) => Array.from(out.slice(c * 16, c * 16 + 16));
  assert.equal(ch(0).slice(5, 10), [-6, -5, -5, -4, -3]); // -3*0.5 = -1.5 -> -1, 1*0.5 -> 1, 3*0.5 -> 2 (ties up), then - 5
  assert.equal(ch(1).slice(2, 5), [-7, -6, -6]); // -24/16 = -1.5 -> -2 (away from zero), -9/16 -> -1, -8/16 = -0.5 -> -1
  assert.ok(ch(2).every((v) => v === 127), 'int32 saturation then clamp');
  assert.ok(ch(3).slice(10).every((v) => v === -128), 'wrapped sums are negative');
});

/** Output formats for 13 channels on 4 lanes: fewer, as many and more codes per word than lanes, 1 .. 16 a word. */
const LANE_CASES: Array<{ out: LayerOptions['out']; range: Pick<IntegerLayer, 'outZeroPoint' | 'min' | 'max'>; residual: boolean }> = [
  { out: { bits: 8, perWord: 1, signed: true }, range: { outZeroPoint: -3, min: -128, max: 127 }, residual: false },
  { out: { bits: 8, perWord: 3, signed: false }, range: { outZeroPoint: 0, min: 0, max: 255 }, residual: true },
  { out: { bits: 4, perWord: 4, signed: false }, range: { outZeroPoint: 2, min: 0, max: 15 }, residual: false },
  { out: { bits: 8, perWord: 2, signed: true }, range: { outZeroPoint: 0, min: -128, max: 127 }, residual: true },
  { out: { bits: 4, perWord: 8, signed: true }, range: { outZeroPoint: 1, min: -8, max: 7 }, residual: true },
  { out: { bits: 4, perWord: 5, signed: false }, range: { outZeroPoint: 0, min: 0, max: 15 }, residual: false },
  { out: { bits: 2, perWord: 16, signed: true }, range: { outZeroPoint: 0, min: -2, max: 1 }, residual: true },
];

withVerilator(test, '2x4: 13 channels on 4 output lanes, 1 to 16 codes a word, residual, signed and unsigned: words and pass cycles equal the model', () => {
  const d4 = generateRtl(vc709Sized(2, 4));
  const p4 = d4.params;
  assert.is(lintVerilator(sourcesOf(d4), 'bitfusion_layer'), '');
  const layer = conv('lanes', 3, 13, 4, 4, 1);
  const input = codes(3 * 16, 0, 255, 61);
  for (const c of LANE_CASES) {
    const name = `${c.out.bits}-bit ${c.out.signed ? 'signed' : 'unsigned'}, ${c.out.perWord} a word${c.residual ? ', residual' : ''}`;
    const L = randomLayer(layer, 8, 62 + c.out.perWord, 0.003 / 2 ** (8 - c.out.bits), c.range);
    const residual = c.residual ? codes(13 * 16, c.range.min, c.range.max, 63) : undefined;
    // 6 pixels a chunk: passes of 6, 6 and 4 pixels
    const prog = compileIntegerLayer(L, input, p4, { aBits: 8, wBits: 8, aSigned: false, out: c.out, residual, tiling: { maxPixels: 6 } });
    const passes = prog.steps.flatMap((s) => (s.kind === 'output' ? [s.pass] : []));
    assert.equal(passes.map((x) => x.M), [6, 6, 4], name);
    const res = checkLayer(d4, 'verilator', prog);
    assert.equal(res.problems, [], name);
    const want = runIntegerLayer(L, input, residual);
    assert.equal(Array.from(res.codes), Array.from(want), name);
    assert.ok(new Set(want).size > 2, `${name}: ${new Set(want).size} distinct codes`);
    // start to op_done: ceil(13 / 4) = 4 groups per pixel, the pipeline, the done pulse
    const passSteps = res.steps.filter((x) => x.kind === 'output');
    assert.equal(passSteps.map((x) => x.rtl), passes.map((x) => outputPassCycles(x, p4.cols) + 1), name);
    assert.equal(passSteps.map((x) => x.rtl), passes.map((x) => x.M * 4 + 6 + 1), name);
  }
});

withVerilator(test, '2x2: two layers of a tiny network end to end; the first layer\'s words are the second layer\'s IBUF words', () => {
  // conv 3x3 (a8w4, ReLU to 4 bits) -> conv 1x1 (a4w4) with a residual from the first layer's channels 0..3
  const l1 = conv('block.conv1', 3, 6, 5, 5, 3);
  const l2 = conv('block.conv2', 6, 4, 5, 5, 1);
  const L1 = randomLayer(l1, 4, 31, 0.004, { outZeroPoint: 0, min: 0, max: 15 });
  const L2 = randomLayer(l2, 4, 32, 0.01, { outZeroPoint: 0, min: 0, max: 15 });
  const input = codes(3 * 25, 0, 255, 33);
  const m2 = { a: 4 as const, w: 4 as const, unit: 8 as const };
  const perWord = pairsPerCycle(m2);
  const p1 = compileIntegerLayer(L1, input, p, { aBits: 8, wBits: 4, aSigned: false, out: { bits: 4, perWord, signed: false }, tiling: { maxSteps: 6 } });
  const r1 = checkLayer(design, 'verilator', p1);
  assert.equal(r1.problems, []);
  const want1 = runIntegerLayer(L1, input);
  assert.equal(Array.from(r1.codes), Array.from(want1));
  const residual = want1.slice(0, 4 * 25);
  const p2 = compileIntegerLayer(L2, r1.codes, p, { aBits: 4, wBits: 4, aSigned: false, out: { bits: 4, perWord: 4, signed: false }, residual });
  // one step of 2 rows x 4 pairs covers the 6 channels: IBUF bank r word m holds output word m*G + r
  const t0 = p2.steps[0].kind === 'tile' ? p2.steps[0].tile : undefined;
  assert.ok(t0 && t0.tile.S === 1 && p1.wordsPerPixel === 2);
  for (const w of t0!.ibufWrites) assert.is(w.data, r1.words[(w.addr % p.ibuf.tileDepth) * 2 + w.bank], `bank ${w.bank} word ${w.addr}`);
  const r2 = checkLayer(design, 'verilator', p2);
  assert.equal(r2.problems, []);
  assert.equal(Array.from(r2.codes), Array.from(runIntegerLayer(L2, want1, residual)));
  assert.is(r1.rtlCycles + r2.rtlCycles, layerCycles(p1, p) + layerCycles(p2, p));
});

withVerilator(test, '2x2: the layer check fails when a continuation tile starts from zero', () => {
  const layer: FcLayer = { kind: 'fc', name: 'fc', inputs: ['input'], input: { c: 40, h: 1, w: 1 }, output: { c: 3, h: 1, w: 1 }, inFeatures: 40,
    outFeatures: 3, bias: false, activation: 'none' };
  const L = randomLayer(layer, 4, 41, 0.05, { outZeroPoint: 0, min: -128, max: 127 });
  const input = codes(40, -8, 7, 42);
  const prog = compileIntegerLayer(L, input, p, { aBits: 4, wBits: 4, aSigned: true, out: { bits: 8, perWord: 4, signed: true }, tiling: { maxSteps: 1 } });
  assert.equal(checkLayer(design, 'verilator', prog).problems, []);
  for (const s of prog.steps) if (s.kind === 'tile' && s.tile.descriptor.accumulate) s.tile.packed = packDescriptor({ ...s.tile.descriptor,
    accumulate: false }, p);
  const bad = checkLayer(design, 'verilator', prog);
  assert.ok(bad.problems.some((x) => /OBUF accumulator/.test(x)), bad.problems.join('\n'));
  assert.not.equal(Array.from(bad.codes), Array.from(runIntegerLayer(L, input)));
});

withIcarus(test, 'vc709 preset (8x8): an fc layer of 300 inputs and 10 outputs, 3 tiles per column tile, equals the integer model (Icarus)', () => {
  const vc = generateRtl(getPreset('vc709')!);
  const layer: FcLayer = {
    kind: 'fc', name: 'fc', inputs: ['input'], input: { c: 300, h: 1, w: 1 }, output: { c: 10, h: 1, w: 1 }, inFeatures: 300, outFeatures: 10,
    bias: true, activation: 'none',
  };
  const L = randomLayer(layer, 8, 71, 0.0003, { outZeroPoint: -3, min: -128, max: 127 });
  const input = codes(300, -128, 127, 72);
  const out = { bits: 8 as const, perWord: 4, signed: true };
  const prog = compileIntegerLayer(L, input, vc.params, { aBits: 8, wBits: 8, aSigned: true, out, tiling: { maxSteps: 16 } });
  assert.equal(prog.steps.map((s) => (s.kind === 'output' ? 'O' : s.tile.descriptor.accumulate ? 'T+' : 'T')).join(''), 'TT+T+TT+T+O');
  const res = checkLayer(vc, 'icarus', prog);
  assert.equal(res.problems, []);
  assert.equal(Array.from(res.codes), Array.from(runIntegerLayer(L, input)));
  assert.is(res.rtlCycles, layerCycles(prog, vc.params));
});

test('compileIntegerLayer refuses grouped layers, accumulators other than 32 bits and codes outside the mode\'s range', () => {
  const p2 = generateRtl(vc709Sized(2, 2)).params;
  const L = randomLayer(conv('c', 2, 2, 3, 3, 3), 4, 3, 0.01, { outZeroPoint: 0, min: 0, max: 15 });
  const input = codes(18, 0, 15, 4);
  const opts: LayerOptions = { aBits: 4, wBits: 4, aSigned: false, out: { bits: 4, perWord: 4, signed: false } };
  assert.ok(compileIntegerLayer(L, input, p2, opts).steps.length > 1);
  assert.throws(() => compileIntegerLayer({ ...L, layer: { ...L.layer as ConvLayer, groups: 2 } }, input, p2, opts), /layer 'c' has 2 groups/);
  assert.throws(() => compileIntegerLayer(L, input, { ...p2, accBits: 48 }, opts), /32-bit accumulators/);
  assert.throws(() => compileIntegerLayer(L, input.map((v, i) => (i === 5 ? 16 : v)), p2, opts), /input code 16 is outside 0\.\.15/);
  assert.throws(() => compileIntegerLayer(L, input, p2, { ...opts, wBits: 2 }), /weight -?\d+ is outside -2\.\.1/);
  assert.throws(() => compileIntegerLayer(L, input, p2, { ...opts, out: { bits: 4, perWord: 9, signed: false } }), /do not fit a 32-bit word/);
});

test('runOutputPass on COLS lanes: words leave with the group of their last channel, several a cycle or one every few cycles', () => {
  const base: OutputPass = {
    M: 3, N: 13, mStride: 4, obufHalf: 0, obufBase: 0, bits: 2, perWord: 1, signed: false, zeroPoint: 0, min: 0, max: 3, residual: false, outBase: 0,
    resBase: 0,
  };
  const params = { bias: new Int32Array(13), m0: new Int32Array(13).fill(2 ** 30), shift: new Int32Array(13).fill(1) };
  const acc = (m: number, n: number) => (m + n) % 4;
  const cyclesOf = (perWord: number) => runOutputPass({ ...base, perWord }, 4, params, acc).map((x) => x.cycle - 6);
  // 13 channels on 4 lanes: groups of 4, 4, 4, 1 per pixel, pixel m's groups in cycles 4m .. 4m + 3
  assert.equal(cyclesOf(1), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11]);
  // 3 a word: channels 0-2 | 3-5 | 6-8 | 9-11 | 12; the word of channels 3-5 spans groups 0 and 1
  assert.equal(cyclesOf(3).slice(0, 5), [0, 1, 2, 2, 3]);
  // 16 a word (more than the lanes): one word per pixel, in its last group
  assert.equal(cyclesOf(16), [3, 7, 11]);
  // 8 a word: channels 0-7 end in group 1, 8-12 in group 3
  assert.equal(cyclesOf(8), [1, 3, 5, 7, 9, 11]);
  for (const perWord of [1, 3, 8, 16]) {
    const w = runOutputPass({ ...base, perWord }, 4, params, acc);
    assert.equal(w.map((x) => x.addr), w.map((_, i) => i), `perWord ${perWord}: words in address order`);
    // the last word is written in the pass's last cycle
    assert.is(w[w.length - 1].cycle + 1, outputPassCycles(base, 4));
  }
  assert.is(outputPassCycles(base, 4), 3 * 4 + 6);
  // a ResNet-20 shaped pass on the 8 columns of vc709: 64 pixels x 16 channels
  assert.is(outputPassCycles({ M: 64, N: 16 }, 8), 64 * 2 + 6);
  assert.is(outputPassCycles({ M: 64, N: 16 }, 1), 64 * 16 + 6);
});

test('actWrites splits a wide act_wr_* write into its counted words; an unknown word is a write no model equals', () => {
  const out = (count: string, data: string) => (n: string) => ({ act_wr_addr: '0000a', act_wr_count: count, act_wr_data: data } as Record<string, string>)[n];
  const words = new Array<number>(16).fill(NaN);
  // four 32-bit words, word 3 first; word 3 holds x bits but is above the count
  const data = 'xxxxxxxx' + 'deadbeef' + '00000002' + '00000001';
  assert.equal(actWrites(5, out('2', data), words), [{ cycle: 5, addr: 10, data: 1 }, { cycle: 5, addr: 11, data: 2 }]);
  assert.equal([words[10], words[11], words[12]], [1, 2, NaN]);
  assert.equal(actWrites(6, out('3', data), words).map((w) => w.data), [1, 2, 0xdeadbeef]);
  const unknown = actWrites(7, out('4', data), words);
  assert.ok(Number.isNaN(unknown[3].data));
  assert.match(outputWriteProblem([{ cycle: 7, addr: 13, data: 0 }], unknown.slice(3)) ?? '', /output write 0/);
  assert.ok(Number.isNaN(actWrites(8, out('x', data), words)[0].addr));
});

test('packActivations and unpackActivations are inverse; the last word of a pixel is zero padded', () => {
  const c = codes(7 * 3, -8, 7, 5);
  const w = packActivations(c, 3, 7, 4, 4);
  assert.is(w.length, 6);
  assert.is(w[1] >>> 12, 0);
  assert.equal(Array.from(unpackActivations(w, 3, 7, 4, 4, true)), Array.from(c));
});

test.run();
