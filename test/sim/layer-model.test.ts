import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FU_MODES, modeName, operandRange } from '../../hw/fusion-unit.js';
import { getPreset } from '../../hw/presets.js';
import { HwConfig, dramBitsPerCycle } from '../../hw/config.js';
import { ConvLayer, windowOut } from '../../src/model/ir.js';
import { inputExtent, loopNest } from '../../sim/loop-nest.js';
import { bestLayerTiming, scheduleMapping, LayerModelInput } from '../../sim/layer-model.js';
import { LOOP_ORDERS, candidateTiles, describeMapping } from '../../sim/mapping.js';
import { simulateLayer } from '../../sim/simulate.js';
import { lowerConv } from '../../sim/lower.js';
import { runTile } from '../../hw/stepped-array.js';
import { TILE_ISSUE_OVERHEAD } from '../../hw/array-timing.js';
import { rng, randInt } from '../helpers.js';

function conv(inC: number, outC: number, h: number, k: number, stride: number, pad: number, groups: number, dil = 1): ConvLayer {
  const o = windowOut(h, k, stride, pad, pad, dil);
  return {
    kind: 'conv', name: 'c', inputs: ['input'], input: { c: inC, h, w: h }, output: { c: outC, h: o, w: o },
    inC, outC, kernel: [k, k], stride: [stride, stride], pad: [pad, pad, pad, pad], dilation: [dil, dil], groups, bias: false, activation: 'none',
  };
}

function smallConfig(rows: number, cols: number, ibuf: number, wbuf: number, obuf: number): HwConfig {
  const c = getPreset('bitfusion-8x8')!;
  return { ...c, rows, cols, ibuf: { bytes: ibuf, doubleBuffered: true }, wbuf: { bytes: wbuf, doubleBuffered: true }, obuf: { bytes: obuf, doubleBuffered: true } };
}

test('fast layer model = cycle-stepped array on real data: random convs, mappings, loop orders and all modes', () => {
  const r = rng(31337);
  let checked = 0;
  for (let trial = 0; trial < 40; trial++) {
    const mode = FU_MODES[trial % FU_MODES.length];
    const groups = [1, 1, 2, 4][randInt(r, 0, 3)];
    const icg = randInt(r, 1, 5), ocg = randInt(r, 1, 5);
    const k = [1, 3][randInt(r, 0, 1)];
    const stride = randInt(r, 1, 2);
    const h = randInt(r, k, 7);
    const layer = conv(icg * groups, ocg * groups, h, k, stride, k === 3 ? randInt(r, 0, 1) : 0, groups, k === 3 && r() < 0.2 ? 2 : 1);
    if (layer.output.h < 1) continue;
    const cfg = smallConfig(randInt(r, 1, 4), randInt(r, 1, 6), 2 ** randInt(r, 7, 12), 2 ** randInt(r, 7, 12), 2 ** randInt(r, 6, 10));
    const aSigned = r() < 0.5, wSigned = true;
    const x: LayerModelInput = { nest: loopNest(layer, 1), cfg, mode, aBits: mode.a, wBits: mode.w, outBits: mode.a, layerName: 'c' };
    const cands = candidateTiles(x);
    if (cands.length === 0) continue;
    const m = { ...cands[randInt(r, 0, cands.length - 1)], order: LOOP_ORDERS[randInt(r, 0, 5)] };
    const n = x.nest;
    // random integer operands; the input is stored padded, as the loop nest sees it
    const [alo, ahi] = operandRange(mode.a, aSigned), [wlo, whi] = operandRange(mode.w, wSigned);
    const input = new Int32Array(n.groups * n.icg * n.ih * n.iw);
    const p = layer.pad[0];
    for (let c = 0; c < n.groups * n.icg; c++) for (let y = p; y < n.ih - p; y++) for (let xx = p; xx < n.iw - p; xx++) input[(c * n.ih + y) * n.iw + xx] = randInt(r, alo, ahi);
    const weights = Int32Array.from({ length: n.groups * n.ocg * n.icg * n.kh * n.kw }, () => randInt(r, wlo, whi));
    // direct convolution
    const dil = layer.dilation[0];
    const want = new Int32Array(layer.outC * n.oh * n.ow);
    for (let o = 0; o < layer.outC; o++) {
      const g = Math.floor(o / n.ocg);
      for (let oy = 0; oy < n.oh; oy++) for (let ox = 0; ox < n.ow; ox++) {
        let s = 0;
        for (let ic = 0; ic < n.icg; ic++) for (let ky = 0; ky < n.kh; ky++) for (let kx = 0; kx < n.kw; kx++) {
          s += input[((g * n.icg + ic) * n.ih + oy * n.sh + ky * dil) * n.iw + ox * n.sw + kx * dil] * weights[((o * n.icg + ic) * n.kh + ky) * n.kw + kx];
        }
        want[(o * n.oh + oy) * n.ow + ox] = s;
      }
    }
    // run every array tile on the stepped model, carrying partial sums across input-channel tiles
    const got = new Int32Array(want.length);
    let cycles = 0;
    for (const lt of lowerConv(n, { input, weights }, m, mode, cfg.rows, cfg.cols, aSigned, wSigned)) {
      const init = new Int32Array(lt.tile.M * cfg.cols);
      if (!lt.firstReduction) lt.pixels.forEach(([oy, ox], mm) => lt.colChannel.forEach((o, c) => { if (o >= 0) init[mm * cfg.cols + c] = got[(o * n.oh + oy) * n.ow + ox]; }));
      const run = runTile({ ...lt.tile, init });
      cycles += run.cycles + TILE_ISSUE_OVERHEAD;
      lt.pixels.forEach(([oy, ox], mm) => lt.colChannel.forEach((o, c) => { if (o >= 0) got[(o * n.oh + oy) * n.ow + ox] = run.out[mm * cfg.cols + c]; }));
    }
    const label = `trial ${trial} ${modeName(mode)} conv ${layer.inC}>${layer.outC} k${k}/${stride} g${groups} h${h} on ${cfg.rows}x${cfg.cols}, mapping ${JSON.stringify(m)}`;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) assert.unreachable(`${label}: output ${i} ${got[i]} != ${want[i]}`);
    assert.is(cycles, scheduleMapping(x, m).computeCycles, `${label}: compute cycles`);
    checked++;
  }
  assert.ok(checked >= 30, `only ${checked} trials ran`);
});

test('layer model: a layer that cannot be tiled names the layer and the buffer sizes', () => {
  const cfg = smallConfig(8, 8, 8, 1024, 1024);
  const x: LayerModelInput = { nest: loopNest(conv(16, 16, 8, 3, 1, 1, 1), 1), cfg, mode: { a: 8, w: 8, unit: 8 }, aBits: 8, wBits: 8, outBits: 8, layerName: 'conv7' };
  assert.throws(() => bestLayerTiming(x), /buffers too small for one tile of layer 'conv7'/);
});

test('layer model: total = compute + stalls, stalls >= first load, one DRAM channel carries all traffic, more bandwidth never slows a layer', () => {
  const layer = conv(64, 64, 28, 3, 1, 1, 1);
  const n = loopNest(layer, 1);
  const base = getPreset('bitfusion-8x8')!;
  const cfgAt = (bits: number): HwConfig => ({ ...base, dram: { ...base.dram, bitsPerCycle: bits } });
  let prev = Infinity;
  for (const bits of [8, 32, 128, 512]) {
    const cfg = cfgAt(bits);
    const r = simulateLayer(layer, cfg, { a: 8, w: 8 }, 1);
    const label = `${bits} bits/cycle`;
    assert.is(r.totalCycles, r.computeCycles + r.stallCycles, `${label}: total = compute + stalls`);
    // The array cannot start before the first tile's inputs and weights are in its buffers, and nothing
    // hides that load: it is a stall whatever the bandwidth.
    const m = bestLayerTiming({ nest: n, cfg, mode: { a: 8, w: 8, unit: 8 }, aBits: 8, wBits: 8, outBits: 8, layerName: 'c' }).mapping;
    assert.is(r.mapping, describeMapping(m), `${label}: the mapping simulateLayer chose`);
    const foot = Math.min(m.batchTile, n.batch) * inputExtent(Math.min(m.outRowTile, n.oh), n.sh, n.haloH, n.ih)
      * inputExtent(Math.min(m.outColTile, n.ow), n.sw, n.haloW, n.iw);
    const ict = Math.min(m.inChanTile, n.icg), oct = Math.min(m.outChanTile, n.ocg);
    const firstLoadBytes = m.groupTile * ict * foot + m.groupTile * oct * ict * n.kh * n.kw; // 8-bit operands: one byte each
    const bw = dramBitsPerCycle(cfg);
    assert.ok(r.stallCycles >= Math.ceil((firstLoadBytes * 8) / bw), `${label}: ${r.stallCycles} stall cycles < the first load's ${Math.ceil((firstLoadBytes * 8) / bw)}`);
    // Loads and stores share one channel: the layer takes at least as long as moving all of its traffic.
    const bytes = r.dram.input + r.dram.weight + r.dram.outputWrite + r.dram.outputRead;
    assert.ok(r.totalCycles >= (bytes * 8) / bw, `${label}: ${r.totalCycles} cycles move ${bytes} bytes`);
    assert.ok(r.totalCycles <= prev, `${label}: ${r.totalCycles} > ${prev}`);
    prev = r.totalCycles;
  }
  // compute-bound at 128 bits/cycle: 28*28 pixels x ceil(576/8) steps x 8 column tiles + per-tile fill/drain
  assert.ok(simulateLayer(layer, cfgAt(128), { a: 8, w: 8 }, 1).computeCycles >= 28 * 28 * 72 * 8, 'at least the streaming cycles');
});

test('depthwise conv packs groups onto the columns when that is faster', () => {
  const dw = conv(32, 32, 14, 3, 1, 1, 32);
  const t = bestLayerTiming({ nest: loopNest(dw, 1), cfg: getPreset('bitfusion-8x8')!, mode: { a: 8, w: 8, unit: 8 }, aBits: 8, wBits: 8, outBits: 8, layerName: 'dw' });
  assert.ok(t.mapping.groupTile > 1, `groupTile = ${t.mapping.groupTile}`);
  // one group per tile would stream ceil(9/8) = 2 steps per pixel per group: 32 * 196 * 2 words
  assert.ok(t.words < 32 * 196 * 2, `${t.words} words`);
});

test.run();
