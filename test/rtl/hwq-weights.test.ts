// `hwq rtl --model q.hwq`: a model built in code (Conv -> Relu -> Conv -> Flatten -> Gemm) quantized with the
// tflite method at a2w3 (first/last 8 bits), written as .hwq, turned into WBUF memory images; the images are
// parsed back and unpacked to the model's integer weights, and the first tile of two layers (8x8 and the
// raised 2x4 mode) runs through the generated core (2x2 array) with the image's weights against runTile.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng, skipTest, tempDir, withIcarus } from '../helpers.js';
import { rewriteHwqHeader } from '../quant/hwq-files.js';
import type { Batch } from '../../src/data/batches.js';
import { attr } from '../../src/onnx/attr.js';
import { buildModel } from '../../src/onnx/build.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { HwqLayer, HwqModel, loadHwq } from '../../src/intmodel/format.js';
import { saveHwq } from '../../src/quant/hwq-export.js';
import { UserError } from '../../src/errors.js';
import { runRtl } from '../../src/cli/commands/rtl.js';
import { getPreset } from '../../hw/presets.js';
import { operandRange } from '../../hw/fusion-unit.js';
import { referenceTile, type ArrayTile } from '../../hw/stepped-array.js';
import { compileLayer, compileTile } from '../../rtl/compile.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { rtlParams } from '../../rtl/params.js';
import { generateRtl } from '../../rtl/generate.js';
import { unpackWord } from '../../rtl/pack.js';
import { hasTool } from '../../rtl/sim.js';
import { checkCore, prng, randInt } from '../../rtl/verify.js';
import { WeightManifest, layerImage, memText, parseMem, unpackLayerImage, weightFiles } from '../../rtl/weights.js';

const C0 = 2, H = 4, W = 4, C1 = 3, C2 = 4, K = 5;
const FLAT = C2 * 2 * 2;
const r0 = rng(91);
const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * (r0() - 0.5));
const w1 = rand(C1 * C0 * 9), b1 = rand(C1, 0.2), w2 = rand(C2 * C1 * 9), b2 = rand(C2, 0.2), w3 = rand(FLAT * K), b3 = rand(K, 0.2);

function floatModel() {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', C0, H, W] }],
    outputs: [{ name: 'y', dims: ['N', K] }],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]), kernel_shape: attr.ints([3, 3]) } },
      { op: 'Flatten', name: 'flat', inputs: ['c2'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'w3', 'b3'], outputs: ['y'] },
    ],
    initializers: {
      w1: floatTensor([C1, C0, 3, 3], w1), b1: floatTensor([C1], b1),
      w2: floatTensor([C2, C1, 3, 3], w2), b2: floatTensor([C2], b2),
      w3: floatTensor([FLAT, K], w3), b3: floatTensor([K], b3),
    },
  });
}

async function* calibBatches(): AsyncGenerator<Batch> {
  const g = rng(5);
  for (let i = 0; i < 2; i++) yield { start: 4 * i, count: 4, data: Float32Array.from({ length: 4 * C0 * H * W }, () => 4 * g() - 2), labels: new Int32Array(4) };
}

const quantize = (aBits: number | null, wBits: number) => quantizeModel(floatModel(), 'test', 'tiny', {
  aBits, wBits, firstLast: 8, weightMethod: 'tflite', actMethod: 'tflite', methodOptions: { p: 2 },
  calibration: { batches: calibBatches, count: 2, inputDims: (b) => [b.count, C0, H, W] },
});

const work = tempDir('hwq-rtl-weights-');
const args = (out: string, model: string, config = 'vc709') => ({ config, out, model, verify: false, force: false, json: true });
const cfg = getPreset('vc709')!;

const p = rtlParams(cfg);
const BANKS = p.rows * p.cols;

let hwqPath = '';
let model: HwqModel;
let manifest: WeightManifest;
const images = new Map<string, Uint32Array>();

test('hwq rtl --model writes one WBUF image per layer and a manifest', async () => {
  hwqPath = join(work, 'tiny.hwq');
  saveHwq(hwqPath, (await quantize(2, 3)).model);
  model = loadHwq(hwqPath);
  const out = join(work, 'out');
  const r = await runRtl(args(out, hwqPath));
  assert.ok(r.files.includes('weights/manifest.json'));
  manifest = JSON.parse(readFileSync(join(out, 'weights', 'manifest.json'), 'utf8'));
  assert.equal(readdirSync(join(out, 'weights')).sort(), ['L000_conv1.mem', 'L001_conv2.mem', 'L002_fc.mem', 'manifest.json']);
  // conv1 8x8: K = 18 over 8 rows -> 3 steps. conv2 a2 w3 runs as 2x4 (8 pairs): K = 27 -> 1 step.
  // fc 8x8: K = 16 -> 2 steps, 5 outputs in one 8-column tile.
  assert.equal(manifest.layers.map((l) => [l.name, l.modeName, l.aSigned, l.K, l.N, l.pairs, l.steps, l.colTiles, l.lines, l.fitsOneTile]), [
    ['conv1', '8x8', true, 18, 3, 1, 3, 1, 3, true],
    ['conv2', '2x4', false, 27, 4, 8, 1, 1, 1, true],
    ['fc', '8x8', true, 16, 5, 1, 2, 1, 2, true],
  ]);
  assert.equal([manifest.array, manifest.wbuf.banks, manifest.wbuf.tileDepth], [{ rows: 8, cols: 8 }, 64, 512]);
  for (const l of manifest.layers) images.set(l.name, parseMem(readFileSync(join(out, 'weights', l.file), 'utf8'), BANKS));
});

test('the .mem images unpack to the model\'s integer weights, word by word in the documented layout', () => {
  model.layers.forEach((l, i) => {
    const plan = manifest.layers[i];
    const words = images.get(plan.name)!;
    assert.is(words.length, plan.lines * BANKS);
    assert.equal(Array.from(unpackLayerImage(plan, words, p)), Array.from(l.weights), plan.name);
  });
  // conv1 line 1 (step 1), bank r*8 + c holds k = 8 + r of output channel c, 8 bits, two's complement.
  const c1 = model.layers[0].weights;
  assert.is(images.get('conv1')![1 * BANKS + 2 * 8 + 1], c1[1 * 18 + 10] & 0xff);
  // Channel 3.. 7 and k >= 18 are zero padding.
  assert.is(images.get('conv1')![2 * BANKS + 2 * 8 + 0], 0);
  assert.is(images.get('conv1')![0 * BANKS + 0 * 8 + 5], 0);
  // conv2 (2x4): bank (r, c) pairs q = 0..7 are k = r*8 + q, 4 bits each.
  const c2 = model.layers[1].weights;
  const word = images.get('conv2')![1 * 8 + 2];
  assert.equal(unpackWord(word, 4, 8, true), Array.from(c2.subarray(2 * 27 + 8, 2 * 27 + 16)));
  // every w3 weight fits in 3 bits: the unit runs them at 4
  assert.ok(c2.every((v) => v >= -3 && v <= 3));
});

const sim = hasTool('verilator') ? 'verilator' : hasTool('iverilog') ? 'icarus' : null;
const coSim = `2x2 images: first tiles of conv1 and conv2, weights read from the .mem text, through bitfusion_core equal runTile and the layer GEMM (${sim ?? 'verilator or icarus'})`;
if (!sim) skipTest(test, coSim, 'neither verilator nor iverilog on PATH');
else {
  // A 2x2 array (the core test's model, so no extra Verilator build): conv1 8x8 K = 18 -> 9 steps; conv2 2x4
  // (8 pairs) K = 27 -> 2 steps, its 4 channels in two column tiles.
  test(coSim, () => {
    const cfg2 = vc709Sized(2, 2);
    const design2 = generateRtl(cfg2);
    const p2 = design2.params;
    const files = weightFiles(model, cfg2, p2, hwqPath);
    const man: WeightManifest = JSON.parse(files.get('weights/manifest.json')!);
    assert.equal(man.layers.map((l) => [l.steps, l.colTiles, l.lines]), [[9, 2, 18], [2, 2, 4], [8, 3, 24]]);
    const r = prng(11);
    const tiles: ArrayTile[] = ['conv1', 'conv2'].map((name) => {
      const plan = man.layers.find((l) => l.name === name)!;
      const words = parseMem(files.get(`weights/${plan.file}`)!, 4);
      const layer = model.layers.find((l) => l.header.name === name)!;
      assert.equal(Array.from(unpackLayerImage(plan, words, p2)), Array.from(layer.weights), name);
      const P = plan.pairs;
      const t0 = plan.tiles[0];
      const wts = new Int32Array(t0.lines * 4 * P);
      for (let s = 0; s < t0.lines; s++) for (let b = 0; b < 4; b++) {
        unpackWord(words[(t0.firstLine + s) * 4 + b], plan.mode.w, P, true).forEach((v, q) => (wts[(s * 4 + b) * P + q] = v));
      }
      const [lo, hi] = operandRange(plan.mode.a, plan.aSigned);
      const M = 3;
      const acts = new Int32Array(M * t0.lines * 2 * P).map(() => randInt(r, lo, hi));
      const tile: ArrayTile = { rows: 2, cols: 2, mode: plan.mode, aSigned: plan.aSigned, wSigned: true, M, S: t0.lines, acts, wts };
      // The tile computes the layer's GEMM for its two channels: out[m][c] = sum_k a[m][k] * W[c][k].
      const ref = referenceTile(tile);
      for (let m = 0; m < M; m++) for (let c = 0; c < 2; c++) {
        let sum = 0;
        for (let k = 0; k < plan.K; k++) {
          const s = Math.floor(k / (2 * P)), row = Math.floor(k / P) % 2, q = k % P;
          sum += acts[((m * t0.lines + s) * 2 + row) * P + q] * layer.weights[c * plan.K + k];
        }
        assert.is(ref[m * 2 + c], sum, `${name} out[${m}][${c}]`);
      }
      return tile;
    });
    const compiled = tiles.map((t, i) => compileTile(t, { half: (i % 2) as 0 | 1, ibufBase: 3, wbufBase: 5, obufBase: 1 }, p2));
    const res = checkCore(design2, sim, compiled);
    assert.is(res.checked, 2);
    assert.is(res.mismatches, 0, res.first);
  });
}

withIcarus(test, 'Icarus $readmemh reads a .mem image (comment header included) into a rows*cols*32-bit wide memory word for word', () => {
  const cfg2 = vc709Sized(2, 2);
  const files = weightFiles(model, cfg2, rtlParams(cfg2), hwqPath);
  const dir = tempDir('hwq-readmemh-');
  const text = files.get('weights/L000_conv1.mem')!;
  writeFileSync(join(dir, 'w.mem'), text);
  writeFileSync(join(dir, 'tb.v'), 'module tb;\n  reg [127:0] mem [0:17];\n  integer i;\n  initial begin\n    $readmemh("w.mem", mem);\n'
    + '    for (i = 0; i < 18; i = i + 1) $display("%h", mem[i]);\n  end\nendmodule\n');
  const c = spawnSync('iverilog', ['-o', 'tb.vvp', 'tb.v'], { cwd: dir, encoding: 'utf8' });
  assert.is(c.status, 0, c.stderr);
  const r = spawnSync('vvp', ['-n', 'tb.vvp'], { cwd: dir, encoding: 'utf8' });
  const got = r.stdout.split('\n').filter((l) => /^[0-9a-fx]+$/.test(l));
  const want = text.split('\n').filter((l) => l && !l.startsWith('//'));
  assert.is(want.length, 18);
  assert.equal(got, want);
  const words = parseMem(text, 4);
  // word (line 4, bank 3) is bits [96 +: 32] of line 4
  assert.is(parseInt(got[4].slice(0, 8), 16), words[4 * 4 + 3]);
});

async function expectUserError(out: string, model: string, re: RegExp): Promise<void> {
  try {
    await runRtl(args(out, model));
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, re);
  }
  assert.not.ok(existsSync(out), 'no output directory');
  assert.equal(readdirSync(work).filter((n) => n.startsWith('.')), [], 'no temp directories left');
}

/** Rewrites a .hwq file's JSON header, keeping its checksum valid. */
function rewriteHeader(src: string, dst: string, edit: (h: { layers: Array<Record<string, unknown>> }) => void): void {
  writeFileSync(dst, rewriteHwqHeader(readFileSync(src), (json) => {
    const header = JSON.parse(json);
    edit(header);
    return JSON.stringify(header);
  }));
}

test('bad models are user errors and write nothing: not a .hwq, precision wider than the config, float activations', async () => {
  const text = join(work, 'notes.hwq');
  writeFileSync(text, 'this is not a model\n');
  await expectUserError(join(work, 'bad1'), text, /not a \.hwq model file/);
  await expectUserError(join(work, 'bad2'), join(work, 'missing.hwq'), /not found/);
  const wide = join(work, 'wide.hwq');
  rewriteHeader(hwqPath, wide, (h) => (h.layers[1].wBits = 12));
  assert.is(loadHwq(wide).layers[1].header.wBits, 12);
  await expectUserError(join(work, 'bad3'), wide, /layer 'conv2': weights of 12 bits cannot run on config 'vc709' \(maxBits 8/);
  const wideAct = join(work, 'wideact.hwq');
  rewriteHeader(hwqPath, wideAct, (h) => {
    h.layers[2].aBits = 16;
    (h.layers[2].act as { bits: number }).bits = 16;
  });
  await expectUserError(join(work, 'bad4'), wideAct, /layer 'fc': activations of 16 bits cannot run/);
  const wOnly = join(work, 'wonly.hwq');
  saveHwq(wOnly, (await quantize(null, 4)).model);
  await expectUserError(join(work, 'bad5'), wOnly, /float activations/);
  // a weight outside the claimed width (corrupt file): conv2 claims 2 bits (-2..1), its weights reach +-3
  const narrow = join(work, 'narrow.hwq');
  rewriteHeader(hwqPath, narrow, (h) => (h.layers[1].wBits = 2));
  await expectUserError(join(work, 'bad6'), narrow, /layer 'conv2': weight \d+ = -?\d+ is outside the 2-bit range/);
});

test('grouped conv: each group\'s column tiles hold exactly the words compileLayer writes into the WBUF', () => {
  const p2 = rtlParams(vc709Sized(2, 2));
  const r = prng(3);
  // 4 -> 6 channels in 2 groups, 3x3: per group K = 18, N = 3; a4w4 (P = 4) on 2 rows: S = 3, two column tiles.
  const weights = Int8Array.from({ length: 6 * 18 }, () => randInt(r, -8, 7));
  const layer: HwqLayer = {
    header: {
      name: 'gconv', kind: 'conv', wBits: 4, aBits: 4, act: { bits: 4, signed: false, scale: 1, zeroPoint: 0 },
      layer: {
        kind: 'conv', name: 'gconv', inputs: ['input'], input: { c: 4, h: 3, w: 3 }, output: { c: 6, h: 3, w: 3 }, inC: 4, outC: 6,
        kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1], groups: 2, bias: false, activation: 'none',
      },
      weightShape: [6, 2, 3, 3], onnxWeightShape: [6, 2, 3, 3], channelAxis: 0,
      weights: { type: 'int8', offset: 0, length: 108 }, weightScales: { type: 'float32', offset: 0, length: 6 }, bias: null, requant: null,
    },
    irIndex: 0, weights, weightScales: new Float32Array(6), bias: null, requant: null,
  };
  const img = layerImage(layer, cfg, p2, 'g.hwq');
  assert.equal([img.plan.groups, img.plan.K, img.plan.N, img.plan.pairs, img.plan.steps, img.plan.colTiles, img.plan.lines], [2, 18, 3, 4, 3, 2, 12]);
  assert.equal(img.plan.tiles.map((t) => [t.group, t.n0, t.channels, t.firstLine]), [[0, 0, 2, 0], [0, 2, 1, 3], [1, 0, 2, 6], [1, 2, 1, 9]]);
  assert.equal(Array.from(unpackLayerImage(img.plan, img.words, p2)), Array.from(weights));
  const text = memText(img.words, 4, ['x']);
  assert.equal(Array.from(parseMem(text, 4)), Array.from(img.words));
  for (let g = 0; g < 2; g++) {
    const w = new Int32Array(18 * 3);
    for (let k = 0; k < 18; k++) for (let n = 0; n < 3; n++) w[k * 3 + n] = weights[(g * 3 + n) * 18 + k];
    const compiled = compileLayer({ mode: { a: 4, w: 4, unit: 8 }, aSigned: false, wSigned: true, M: 2, K: 18, N: 3, a: new Int32Array(2 * 18), w }, p2);
    assert.is(compiled.tiles.length, 2);
    compiled.tiles.forEach((ct, j) => {
      const t = img.plan.tiles[g * 2 + j];
      for (const wr of ct.wbufWrites) {
        const s = wr.addr - (ct.descriptor.half ? p2.wbuf.tileDepth : 0);
        assert.is(img.words[(t.firstLine + s) * 4 + wr.bank], wr.data >>> 0, `group ${g} tile ${j} step ${s} bank ${wr.bank}`);
      }
    });
  }
});

test.run();
