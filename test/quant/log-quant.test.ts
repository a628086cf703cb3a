import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProblemJs, reconstructionError } from '../../src/quant/bitsplit/gram.js';
import { exhaustiveSolve } from '../../src/quant/bitsplit/exhaustive.js';
import { logLevels, logSolve } from '../../src/quant/bitsplit/log-quant.js';
import { rng } from '../helpers.js';

import { gauss, makeCase } from './solver-cases.js';


const close = (a: number, b: number, rel: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-30), `${what}: ${a} vs ${b}`);
};

/** Level value of a code sign * j. */
const levelOf = (code: number, lv: Float64Array): number => Math.sign(code) * lv[Math.abs(code)];

test('level sets: 0 and 2^-(j-1) for j = 1..2^(M-1)-1', async () => {
  assert.equal(Array.from(logLevels(2)), [0, 1]);
  assert.equal(Array.from(logLevels(3)), [0, 1, 0.5, 0.25]);
  assert.equal(Array.from(logLevels(4)), [0, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]);
  assert.throws(() => logLevels(5), /2\.\.4 bits/);
  assert.throws(() => logLevels(1), /2\.\.4 bits/);
});

test('initialization: alpha = max|w|, nearest level', async () => {
  const k = makeCase(2, 30, 5, 1, 0.1);
  const w = Float32Array.from([0.8, -0.3, 0.12, 0.05, -0.49]);
  // A target reachable from w, so the initial scale fit keeps the signs (b.q > 0).
  const Y = new Float32Array(30);
  for (let n = 0; n < 30; n++) for (let d = 0; d < 5; d++) Y[n] += k.X[n * 5 + d] * w[d];
  const p = buildProblemJs(k.X, Y, 30, 5, 1);
  const r = await logSolve(p, w, { bits: 3, maxSweeps: 0 });
  // w / 0.8 = [1, -0.375, 0.15, 0.0625, -0.6125]; levels 0, 1/4, 1/2, 1: nearest -> [1, -1/2 (in float32
  // -0.3 / 0.8 is just below -0.375), 1/4, 0, -1/2].
  assert.equal(Array.from(r.codes), [1, -2, 3, 0, -2]);
  assert.equal(Array.from(r.ints), [4, -2, 1, 0, -2]);
  assert.is(r.sweeps, 0);
  close(r.initialObjective[0], reconstructionError(p, [1, -0.5, 0.25, 0, -0.5], [Math.fround(0.8)])[0], 1e-12, 'initial objective');
  // The scale is then fitted in closed form: alpha = b.q / q.Gq.
  const q = [1, -0.5, 0.25, 0, -0.5];
  let bq = 0, qGq = 0;
  for (let i = 0; i < 5; i++) {
    bq += p.xy[i] * q[i];
    for (let j = 0; j < 5; j++) qGq += q[i] * p.gram[i * 5 + j] * q[j];
  }
  close(r.alpha[0], bq / qGq, 1e-7, 'fitted alpha');
  assert.is(r.scale[0], Math.fround(r.alpha[0] / 4));
});

test('integers and codes describe the same weights: scale * ints = alpha * level(code)', async () => {
  const k = makeCase(3, 200, 12, 4, 0.3);
  for (const bits of [2, 3, 4]) {
    const lv = logLevels(bits);
    const L = lv.length - 1;
    const r = await logSolve(k.p, k.W, { bits });
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < 12; i++) {
        const code = r.codes[c * 12 + i];
        assert.ok(Math.abs(code) <= L);
        const int = r.ints[c * 12 + i];
        assert.ok(int === 0 || Number.isInteger(Math.log2(Math.abs(int))), `${int} is not a power of two`);
        assert.ok(Math.abs(int) <= 2 ** (L - 1));
        assert.is(r.scale[c] * int, r.alpha[c] * levelOf(code, lv));
      }
    }
  }
});

test('tiny problems: never below the exhaustive optimum, never above the initial rounding, optimal on most', async () => {
  for (const M of [2, 3]) {
    const lv = logLevels(M);
    const values = [...Array.from(lv.subarray(1)).map((v) => -v), ...lv];
    let optimal = 0, total = 0, ratioSum = 0, initSum = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const D = 3 + (seed % 3);
      const k = makeCase(200 * M + seed, 60, D, 2, 0.3);
      const r = await logSolve(k.p, k.W, { bits: M });
      for (let c = 0; c < 2; c++) {
        const best = exhaustiveSolve(k.p, c, values).objective;
        const J = r.objective[c];
        assert.ok(J >= best * (1 - 1e-6), `M=${M} seed ${seed}: ${J} below the optimum ${best}`);
        assert.ok(J <= r.initialObjective[c] * (1 + 1e-6), `M=${M} seed ${seed}: worse than the initial rounding`);
        assert.ok(J <= 5 * best, `M=${M} seed ${seed}: ${J} is ${J / best} x the optimum`);
        if (J <= best * (1 + 1e-6)) optimal++;
        total++;
        ratioSum += J / best;
        initSum += r.initialObjective[c] / best;
      }
    }
    assert.ok(optimal >= 15, `M=${M}: only ${optimal}/${total} optimal`);
    assert.ok(ratioSum / total < 1.3, `M=${M}: mean ratio ${ratioSum / total}`);
    assert.ok(ratioSum / total - 1 < 0.5 * (initSum / total - 1), `M=${M}: excess ${ratioSum / total - 1} vs initial ${initSum / total - 1}`);
  }
});

test('objective never increases across sweeps, and matches the returned weights', async () => {
  const k = makeCase(11, 400, 20, 5, 0.5);
  for (const bits of [2, 3, 4]) {
    const r = await logSolve(k.p, k.W, { bits, tol: 0, maxSweeps: 40, trace: true });
    r.history!.forEach((h, c) => {
      assert.is(h.length, r.channelSweeps[c] + 1);
      for (let i = 1; i < h.length; i++) assert.ok(h[i] <= h[i - 1] + 1e-12 * k.p.yy[c], `bits ${bits} channel ${c} sweep ${i}`);
    });
    const J = reconstructionError(k.p, r.ints, r.scale);
    for (let c = 0; c < 5; c++) close(r.objective[c], J[c], 1e-9, `bits ${bits} channel ${c}`);
  }
});

test('X = identity: at convergence every weight is at its nearest level for the fitted alpha', async () => {
  const D = 20, OC = 3;
  const r0 = rng(21);
  const X = new Float32Array(D * D);
  for (let n = 0; n < D; n++) X[n * D + n] = 1;
  const W = Float32Array.from({ length: OC * D }, () => gauss(r0));
  const Y = new Float32Array(D * OC);
  for (let n = 0; n < D; n++) for (let c = 0; c < OC; c++) Y[n * OC + c] = W[c * D + n];
  const p = buildProblemJs(X, Y, D, D, OC);
  for (const bits of [3, 4]) {
    const lv = logLevels(bits);
    const cand = [...Array.from(lv.subarray(1)).map((v) => -v), ...lv];
    const r = await logSolve(p, W, { bits, tol: 0, maxSweeps: 200 });
    for (let c = 0; c < OC; c++) {
      assert.ok(r.channelSweeps[c] < 200, 'converged');
      assert.ok(r.objective[c] < r.initialObjective[c]);
      for (let i = 0; i < D; i++) {
        const x = W[c * D + i] / r.alpha[c];
        const nearest = Math.min(...cand.map((v) => Math.abs(x - v)));
        close(Math.abs(x - levelOf(r.codes[c * D + i], lv)), nearest, 1e-6, `bits ${bits} channel ${c} weight ${i}`);
      }
    }
  }
});

test('a negative least-squares scale is folded into the codes (alpha > 0, mirror image of the start from w)', async () => {
  const k = makeCase(41, 100, 6, 2, 0.05);
  const r = await logSolve(k.p, Float32Array.from(k.W, (v) => -v), { bits: 3 });
  const ref = await logSolve(k.p, k.W, { bits: 3 });
  for (let c = 0; c < 2; c++) {
    assert.ok(r.alpha[c] > 0 && r.scale[c] > 0);
    assert.ok(r.objective[c] < 0.1 * k.p.yy[c], `channel ${c}: ${r.objective[c]} vs yy ${k.p.yy[c]}`);
    close(r.objective[c], ref.objective[c], 1e-9, `channel ${c}`);
  }
  assert.equal(Array.from(r.codes), Array.from(ref.codes));
});

test('deterministic: same input, same output bit for bit', async () => {
  const k = makeCase(31, 150, 25, 6, 0.4);
  const a = await logSolve(k.p, k.W, { bits: 4 });
  const b = await logSolve(k.p, k.W, { bits: 4 });
  assert.equal(Buffer.from(a.codes.buffer), Buffer.from(b.codes.buffer));
  assert.equal(Buffer.from(a.scale.buffer), Buffer.from(b.scale.buffer));
  assert.equal(Buffer.from(a.objective.buffer), Buffer.from(b.objective.buffer));
});

test.run();
