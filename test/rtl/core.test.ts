import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tileCycles } from '../../hw/array-timing.js';
import { getPreset } from '../../hw/presets.js';
import { referenceTile } from '../../hw/stepped-array.js';
import { compileLayer, compileTile } from '../../rtl/compile.js';
import { descriptorBits, descriptorLayout, packDescriptor, unpackValues } from '../../rtl/descriptor.js';
import { generateRtl, sourcesOf } from '../../rtl/generate.js';
import { rtlParams } from '../../rtl/params.js';
import { lintVerilator } from '../../rtl/sim.js';
import { withIcarus, withTools, withVerilator } from '../helpers.js';
import { checkCore, placeTiles, prng, randInt, tileSet } from '../../rtl/verify.js';
import { actWord, makeTile, wgtWord } from '../../rtl/tiles.js';
import { FU_MODES } from '../../hw/fusion-unit.js';

function cfgOf(rows: number, cols: number) {
  const cfg = getPreset('vc709')!;
  cfg.rows = rows;
  cfg.cols = cols;
  return cfg;
}

test('vc709 parameters: bank depths, address widths, descriptor layout', () => {
  const p = rtlParams(getPreset('vc709')!);
  assert.equal([p.ibuf.banks, p.ibuf.depth, p.ibuf.addrBits, p.ibuf.tileDepth], [8, 2048, 11, 1024]);
  assert.equal([p.wbuf.banks, p.wbuf.depth, p.wbuf.tileDepth], [64, 1024, 512]);
  assert.equal([p.obuf.banks, p.obuf.depth, p.obuf.tileDepth], [8, 512, 256]);
  assert.is(p.psumBits, 20);
  // 1024 (IBUF half) < floor((2^31-1) / (8 * 65025)) = 4128
  assert.is(p.maxSteps, 512);
  assert.equal(descriptorLayout(p).slice(0, 12).map((f) => f.lsb), [0, 2, 4, 5, 6, 7, 18, 29, 39, 48, 56, 57]);
  // then wb_half and the walk: block_cols, pix_x, pix_y, gs, kw, dg, dkx, step, cg, cx
  assert.equal(descriptorLayout(p).slice(12).map((f) => [f.name, f.bits]), [
    ['wb_half', 1], ['block_cols', 11], ['pix_x', 10], ['pix_y', 10], ['gs', 15], ['kw', 8], ['dg', 15], ['dkx', 8], ['step', 10], ['cg', 10], ['cx', 10],
  ]);
  assert.is(descriptorBits(p), 166);
  const d = packDescriptor({ mode: { a: 4, w: 2, unit: 8 }, aSigned: true, wSigned: false, half: 1, M: 3, S: 5, ibufBase: 7, wbufBase: 1, obufBase: 2 }, p);
  // ob_half and wb_half default to half
  assert.is(d & ((1n << 59n) - 1n), 1n | (0n << 2n) | (1n << 4n) | (1n << 6n) | (3n << 7n) | (5n << 18n) | (7n << 29n) | (1n << 39n) | (2n << 48n) | (1n << 57n) | (1n << 58n));
  // The default walk reads im2col words: 3 pixels of 5*8 words, 5 a bank, one step a word.
  const walk = unpackValues(descriptorLayout(p).slice(12), d);
  assert.equal([walk.block_cols, walk.pix_x, walk.gs, walk.kw, walk.dg, walk.dkx, walk.step], [3, 5, 40, 1, 8, 0, 1]);
  assert.throws(() => packDescriptor({ mode: { a: 8, w: 8, unit: 8 }, aSigned: false, wSigned: false, half: 0, M: 1, S: 1, ibufBase: 1024, wbufBase: 0, obufBase: 0 }, p), /ibuf_base/);
});

test('compileTile lays words out in the halves and refuses tiles that do not fit', () => {
  const p = rtlParams(cfgOf(2, 2));
  const t = makeTile({ rows: 2, cols: 2, mode: { a: 8, w: 8, unit: 8 }, aSigned: false, wSigned: false, M: 2, S: 3, fill: 'max' }, prng(1));
  const ct = compileTile(t, { half: 1, ibufBase: 4, wbufBase: 2, obufBase: 1 }, p);
  assert.is(ct.ibufWrites.length, 2 * 6);
  assert.is(ct.wbufWrites.length, 4 * 3);
  assert.equal(ct.ibufWrites[0], { bank: 0, addr: p.ibuf.tileDepth + 4, data: 255 });
  assert.equal(ct.outputs.map((o) => o.addr), [p.obuf.tileDepth + 1, p.obuf.tileDepth + 1, p.obuf.tileDepth + 2, p.obuf.tileDepth + 2]);
  assert.throws(() => compileTile(t, { half: 0, ibufBase: p.ibuf.tileDepth - 5, wbufBase: 0, obufBase: 0 }, p), /IBUF/);
  assert.throws(() => compileTile({ ...t, S: p.maxSteps + 1 }, { half: 0, ibufBase: 0, wbufBase: 0, obufBase: 0 }, p), /reduction steps/);
});

test('compileTile packs every word as actWord and wgtWord do, bank-major, and lists the same words as host-port writes', () => {
  const p = rtlParams(cfgOf(2, 3));
  const r = prng(9);
  for (const mode of FU_MODES) for (const fill of ['random', 'min', 'max'] as const) {
    const t = makeTile({ rows: 2, cols: 3, mode, aSigned: fill !== 'max', wSigned: fill !== 'min', M: 3, S: 2, fill }, r);
    const ct = compileTile(t, { half: 1, ibufBase: 5, wbufBase: 3, obufBase: 0 }, p);
    const W = t.M * t.S;
    const name = `${mode.a}x${mode.w} ${fill}`;
    for (let w = 0; w < W; w++) for (let b = 0; b < t.rows; b++) {
      assert.is(ct.ibufWords[b * W + w], actWord(t, w, b), `${name} IBUF bank ${b} word ${w}`);
      assert.equal(ct.ibufWrites[w * t.rows + b], { bank: b, addr: ct.ibufAddr + w, data: actWord(t, w, b) });
    }
    for (let s = 0; s < t.S; s++) for (let b = 0; b < t.rows * t.cols; b++) {
      const want = wgtWord(t, s, Math.floor(b / t.cols), b % t.cols);
      assert.is(ct.wbufWords[b * t.S + s], want, `${name} WBUF bank ${b} word ${s}`);
      assert.equal(ct.wbufWrites[s * t.rows * t.cols + b], { bank: b, addr: ct.wbufAddr + s, data: want });
    }
    assert.is(ct.ibufWrites.length, W * t.rows);
    assert.is(ct.wbufWrites.length, t.S * t.rows * t.cols);
    assert.equal([ct.ibufAddr, ct.wbufAddr], [p.ibuf.tileDepth + 5, p.wbuf.tileDepth + 3]);
  }
});

test('compileLayer: a GEMM split into tiles reproduces the integer product', () => {
  const p = rtlParams(cfgOf(2, 2));
  const r = prng(4);
  const g = { mode: { a: 4 as const, w: 4 as const, unit: 8 as const }, aSigned: true, wSigned: true, M: 5, K: 21, N: 3, a: new Int32Array(5 * 21), w: new Int32Array(21 * 3) };
  g.a.forEach((_, i) => (g.a[i] = randInt(r, -8, 7)));
  g.w.forEach((_, i) => (g.w[i] = randInt(r, -8, 7)));
  const layer = compileLayer(g, p);
  assert.is(layer.tiles.length, 2); // N = 3 over 2 columns
  const out = new Int32Array(g.M * g.N);
  layer.tiles.forEach((ct, i) => {
    const ref = referenceTile(ct.tile);
    const { m0, n0 } = layer.origins[i];
    for (let m = 0; m < ct.tile.M; m++) for (let c = 0; c < 2 && n0 + c < g.N; c++) out[(m0 + m) * g.N + n0 + c] = ref[m * 2 + c];
  });
  for (let m = 0; m < g.M; m++) for (let n = 0; n < g.N; n++) {
    let s = 0;
    for (let k = 0; k < g.K; k++) s += g.a[m * g.K + k] * g.w[k * g.N + n];
    assert.is(out[m * g.N + n], s, `out[${m}][${n}]`);
  }
});

const SIZES: Array<[number, number]> = [[2, 2], [8, 8]];
for (const [R, C] of SIZES) {
  const design = generateRtl(cfgOf(R, C));
  const compiled = placeTiles(tileSet(R, C, 300 + R), design.params, 7);
  withVerilator(test, `bitfusion_core ${R}x${C}: lint clean; 40 tiles through the buffers equal runTile to the bit and the cycle (Verilator)`, () => {
    assert.is(lintVerilator(sourcesOf(design), 'bitfusion_core'), '');
    const r = checkCore(design, 'verilator', compiled);
    assert.is(r.checked, 40);
    assert.is(r.mismatches, 0, r.first);
    assert.is(tileCycles(1, R, C), R + C + 2);
  });
  if (R === 2) {
    withVerilator(test, 'bitfusion_core 2x2: a start in the done cycle is accepted; back-to-back tiles of different modes take tileCycles + 1 each', () => {
      const tiles = tileSet(2, 2, 41);
      const pair = placeTiles([tiles[0], tiles[35]], design.params, 3);
      const r = checkCore(design, 'verilator', pair, { backToBack: true });
      assert.is(r.checked, 2);
      assert.is(r.mismatches, 0, r.first);
    });
  }
  withIcarus(test, `bitfusion_core ${R}x${C}: the same tiles under Icarus`, () => {
    const r = checkCore(design, 'icarus', R >= 8 ? compiled.filter((_, i) => i % 3 === 0) : compiled);
    assert.is(r.mismatches, 0, r.first);
  });
}

// The lint step needs verilator too.
withTools(test, ['iverilog', 'verilator'], 'bitfusion_core 3x5 (rows and columns not powers of two): lint clean; tiles through the buffers under Icarus', () => {
  const design = generateRtl(cfgOf(3, 5));
  assert.is(lintVerilator(sourcesOf(design), 'bitfusion_core'), '');
  const r = checkCore(design, 'icarus', placeTiles(tileSet(3, 5, 35).filter((_, i) => i % 4 === 0), design.params, 5));
  assert.is(r.checked, 10);
  assert.is(r.mismatches, 0, r.first);
});

test.run();
