import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActStatsCollector, magnitudeHistogram } from '../../src/quant/act-stats.js';
import { bestClipHistogram, bestClipValues, histogramError, klClip } from '../../src/quant/clip-search.js';
import { positiveLevels } from '../../src/intmodel/grid.js';
import { actQuantizers, quantizePerChannel, weightQuantizers, toChannels, fromChannels } from '../../src/quant/methods.js';
import type { LayerSite } from '../../src/quant/prepare.js';
import { rng } from '../helpers.js';

function site(w: number[], shape: number[], axis = 0): LayerSite {
  return { name: 'l', kind: 'conv', nodeName: 'l', inputTensor: 'x', outputTensor: 'y', weightName: 'w', weightShape: shape, channelAxis: axis, weights: Float32Array.from(w), unsignedInput: true };
}

test('tflite weights: per-channel max-abs scales and exact integers', () => {
  const s = site([0.5, -1, 0.25, 0.1, 0.2, -0.4], [2, 3]);
  const [tfl] = weightQuantizers({ p: 2 });
  const r = tfl.quantize(s, 4) as { q: Int8Array; scales: Float32Array };
  assert.equal(Array.from(r.scales), [Math.fround(1 / 7), Math.fround(0.4 / 7)]);
  assert.equal(Array.from(r.q), [4, -7, 2, 2, 4, -7]);
});

test('channel axis 1 (Gemm transB=0 / MatMul) round-trips and quantizes columns', () => {
  const w = [1, 2, 3, 4, 5, 6]; // [k=2][n=3]
  const { oc, per, data } = toChannels(Float32Array.from(w), [2, 3], 1);
  assert.equal([oc, per, Array.from(data)], [3, 2, [1, 4, 2, 5, 3, 6]]);
  assert.equal(Array.from(fromChannels(data, [2, 3], 1, (n) => new Float32Array(n))), w);
  const r = quantizePerChannel(site(w, [2, 3], 1), 8, (ch) => Math.max(...Array.from(ch, Math.abs)));
  assert.equal(Array.from(r.q), [32, 51, 64, 127, 127, 127]);
});

test('MSE clipping beats max clipping on a heavy-tailed channel, and never returns more error', () => {
  const r = rng(3);
  const vals = Array.from({ length: 2000 }, () => (r() - 0.5) * 0.2);
  vals.push(1); // one outlier
  const levels = positiveLevels(4, true);
  const clip = bestClipValues(vals, levels, 2);
  assert.ok(clip < 0.5 && clip > 0.05, `clip ${clip}`);
  const err = (c: number) => vals.reduce((s, v) => { const st = c / levels; const q = Math.max(-levels, Math.min(levels, Math.round(v / st))) * st; return s + (v - q) ** 2; }, 0);
  assert.ok(err(clip) < err(1));
});

test('activation histogram searches: MSE and KL clip the tail of a long-tailed distribution, tflite keeps the max', () => {
  const r = rng(11);
  const c = new ActStatsCollector(1 << 16, 4);
  for (let b = 0; b < 4; b++) c.add(Float32Array.from({ length: 20000 }, () => -Math.log(1 - r()) * (r() < 0.001 ? 20 : 1)));
  const st = c.result();
  assert.ok(st.min >= 0 && st.max > 10);
  assert.ok(st.sample.length <= 1 << 16 && st.sample.length > 40000);
  const [tfl, mse, lp, kl] = actQuantizers({ p: 2.4 });
  assert.is(tfl.clip(st, 4, false), st.max);
  const h = magnitudeHistogram(st, false);
  const cm = mse.clip(st, 4, false);
  assert.ok(cm < st.max / 2, `mse clip ${cm} vs max ${st.max}`);
  assert.ok(histogramError(h, cm, 15, 2) <= histogramError(h, st.max, 15, 2));
  assert.ok(lp.clip(st, 4, false) > 0);
  const ck = kl.clip(st, 8, false);
  assert.ok(ck > 1 && ck < st.max, `kl clip ${ck}`);
  assert.is(bestClipHistogram(h, 15, 2), cm);
  assert.ok(klClip(h, 4096) === h.width * h.counts.length, 'more levels than bins keeps the whole range');
});

test('KL clipping is not fooled by the ReLU spike at zero', () => {
  const r = rng(23);
  const c = new ActStatsCollector(1 << 18, 1);
  // half exact zeros (a ReLU output), half exponential(1)
  c.add(Float32Array.from({ length: 200000 }, () => (r() < 0.5 ? 0 : -Math.log(1 - r()))));
  const st = c.result();
  const kl = actQuantizers({ p: 2 })[3];
  const c8 = kl.clip(st, 8, false);
  assert.ok(c8 > 0.5 * st.max, `8-bit KL clip ${c8} of max ${st.max}`);
  const c4 = kl.clip(st, 4, false);
  assert.ok(c4 > 2 && c4 < c8, `4-bit KL clip ${c4}`);
});

test.run();
