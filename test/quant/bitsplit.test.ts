import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProblemJs, buildProblems, dampTowards, gramTimes, reconstructionError, releaseGramSession } from '../../src/quant/bitsplit/gram.js';
import { bitsplitSolve } from '../../src/quant/bitsplit/bitsplit.js';
import { exhaustiveSolve } from '../../src/quant/bitsplit/exhaustive.js';
import { logSolve } from '../../src/quant/bitsplit/log-quant.js';
import { solveLayer } from '../../src/quant/bitsplit/solve-layer.js';
import { rng } from '../helpers.js';

import { type Case, gauss, makeCase } from './solver-cases.js';


/** (1/N) ||y_c - alpha_c X q_c||^2 straight from the samples. */
function directError(k: Case, q: ArrayLike<number>, alpha: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let c = 0; c < k.OC; c++) {
    let e = 0;
    for (let n = 0; n < k.N; n++) {
      let s = 0;
      for (let d = 0; d < k.D; d++) s += k.X[n * k.D + d] * q[c * k.D + d];
      e += (k.Y[n * k.OC + c] - alpha[c] * s) ** 2;
    }
    out.push(e / k.N);
  }
  return out;
}

async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

const close = (a: number, b: number, rel: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-30), `${what}: ${a} vs ${b}`);
};

test('statistics: onnxruntime MatMul matches float64 loops, one group and grouped', async () => {
  const k = makeCase(3, 300, 7, 3, 0.2);
  const [ort] = await buildProblems([{ X: k.X, Y: k.Y }], k.N, k.D, k.OC);
  for (let i = 0; i < k.D * k.D; i++) close(ort.gram[i], k.p.gram[i], 1e-5, `G[${i}]`);
  for (let i = 0; i < k.OC * k.D; i++) close(ort.xy[i], k.p.xy[i], 1e-5, `xy[${i}]`);
  assert.equal(Array.from(ort.yy), Array.from(k.p.yy));
  for (let i = 0; i < k.D; i++) for (let j = 0; j < k.D; j++) assert.is(ort.gram[i * k.D + j], ort.gram[j * k.D + i]);
  // Three groups of different data in one batched call: each must match its own reference.
  const cases = [makeCase(4, 50, 9, 1, 0.1), makeCase(5, 50, 9, 1, 0.1), makeCase(6, 50, 9, 1, 0.1)];
  const probs = await buildProblems(cases.map((c) => ({ X: c.X, Y: c.Y })), 50, 9, 1);
  assert.is(probs.length, 3);
  probs.forEach((p, g) => {
    for (let i = 0; i < 81; i++) close(p.gram[i], cases[g].p.gram[i], 1e-5, `group ${g} G[${i}]`);
    for (let i = 0; i < 9; i++) close(p.xy[i], cases[g].p.xy[i], 1e-5, `group ${g} xy[${i}]`);
  });
  await releaseGramSession();
});

test('G q products: onnxruntime float64 MatMul (large) and the JS loop (small) agree with a direct product', async () => {
  for (const [D, OC] of [[80, 48], [9, 1]]) {
    const r = rng(D);
    const X = Float32Array.from({ length: 200 * D }, () => Math.max(0, gauss(r)));
    const p = buildProblemJs(X, new Float32Array(200 * OC), 200, D, OC);
    const Q = Float64Array.from({ length: OC * D }, () => Math.round(7 * gauss(r)) % 8);
    const P = await gramTimes(p, Q);
    for (let c = 0; c < OC; c++) {
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let i = 0; i < D; i++) s += Q[c * D + i] * p.gram[i * D + j];
        close(P[c * D + j], s, 1e-12, `D=${D} [${c}, ${j}]`);
      }
    }
  }
  await releaseGramSession();
});

test('large layer (onnxruntime start): monotone, deterministic, better than TF-Lite', async () => {
  const k = makeCase(13, 500, 80, 48, 0.5);
  const a = await bitsplitSolve(k.p, k.W, { bits: 4, trace: true });
  const b = await bitsplitSolve(k.p, k.W, { bits: 4 });
  assert.equal(Buffer.from(a.q.buffer), Buffer.from(b.q.buffer));
  assert.equal(Buffer.from(a.objective.buffer), Buffer.from(b.objective.buffer));
  a.history!.forEach((h, c) => {
    for (let i = 1; i < h.length; i++) assert.ok(h[i] <= h[i - 1] + 1e-12 * k.p.yy[c], `channel ${c} sweep ${i}`);
    assert.ok(a.objective[c] < a.initialObjective[c], `channel ${c}`);
  });
  const direct = directError(k, a.q, a.alpha);
  for (let c = 0; c < 48; c += 7) close(a.objective[c], direct[c], 1e-6, `channel ${c}`);
  await releaseGramSession();
});

test('solveLayer: groups solved independently and assembled channel-major', async () => {
  const a = makeCase(17, 120, 8, 3, 0.3), b = makeCase(18, 120, 8, 3, 0.3);
  const data = { N: 120, D: 8, OC: 3, groups: [{ X: a.X, Y: a.Y }, { X: b.X, Y: b.Y }] };
  const w = new Float32Array(48);
  w.set(a.W, 0);
  w.set(b.W, 24);
  for (const method of ['bitsplit', 'log'] as const) {
    const s = await solveLayer(data, w, method, 3);
    assert.is(s.q.length, 48);
    assert.is(s.scales.length, 6);
    for (const [g, k] of [[0, a], [1, b]] as const) {
      const own = method === 'bitsplit' ? await bitsplitSolve(k.p, k.W, { bits: 3 }) : await logSolve(k.p, k.W, { bits: 3 });
      const ownQ = 'q' in own ? own.q : own.ints;
      const ownS = 'q' in own ? own.alpha : own.scale;
      // Statistics from onnxruntime (float32 MatMul) vs the float64 reference: same integers, same errors.
      assert.equal(Array.from(s.q.subarray(g * 24, g * 24 + 24)), Array.from(ownQ), `${method} group ${g}`);
      for (let c = 0; c < 3; c++) close(s.scales[g * 3 + c], ownS[c], 1e-5, `${method} group ${g} scale ${c}`);
      const direct = directError(k, s.q.subarray(g * 24, g * 24 + 24), s.scales.subarray(g * 3, g * 3 + 3));
      for (let c = 0; c < 3; c++) close(s.objective[g * 3 + c], direct[c], 1e-4, `${method} group ${g} objective ${c}`);
    }
  }
  await releaseGramSession();
});

test('statistics: the quadratic form equals the sample mean squared error', async () => {
  const k = makeCase(7, 80, 5, 2, 0.3);
  const q = [1, -2, 0, 3, 1, 0, 0, -1, 2, 2];
  const alpha = [0.37, 1.4];
  const J = reconstructionError(k.p, q, alpha);
  const direct = directError(k, q, alpha);
  for (let c = 0; c < 2; c++) close(J[c], direct[c], 1e-6, `channel ${c}`);
});

test('initialization is TF-Lite: alpha = max|w| / qmax, q = round(w / alpha)', async () => {
  const k = makeCase(8, 40, 4, 1, 0.1);
  const w = Float32Array.from([0.7, -1.4, 0.35, 0.1]);
  const r = await bitsplitSolve(k.p, w, { bits: 3, maxSweeps: 0 });
  // 3 bits: qmax = 3, alpha = 1.4 / 3; w / alpha = [1.5, -3, 0.75, 0.214]; 1.5 rounds away from zero.
  assert.equal(Array.from(r.q), [2, -3, 1, 0]);
  assert.is(r.sweeps, 0);
  const a0 = Math.fround(Math.fround(1.4) / 3);
  close(r.initialObjective[0], reconstructionError(k.p, [2, -3, 1, 0], [a0])[0], 1e-12, 'initial objective');
});

test('tiny problems: never below the exhaustive optimum, never above TF-Lite, optimal on most cases', async () => {
  for (const M of [2, 3]) {
    const qmax = (1 << (M - 1)) - 1;
    const values = Array.from({ length: 2 * qmax + 1 }, (_, i) => i - qmax);
    let optimal = 0, total = 0, ratioSum = 0, initSum = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const D = 4 + (seed % 3);
      const k = makeCase(100 * M + seed, 60, D, 2, 0.3);
      const r = await bitsplitSolve(k.p, k.W, { bits: M });
      for (let c = 0; c < 2; c++) {
        const best = exhaustiveSolve(k.p, c, values).objective;
        const J = r.objective[c];
        assert.ok(J >= best * (1 - 1e-6), `M=${M} seed ${seed}: ${J} below the optimum ${best}`);
        assert.ok(J <= r.initialObjective[c] * (1 + 1e-6), `M=${M} seed ${seed}: worse than TF-Lite`);
        assert.ok(J <= 5 * best, `M=${M} seed ${seed}: ${J} is ${J / best} x the optimum`);
        for (let i = 0; i < D; i++) assert.ok(Math.abs(r.q[c * D + i]) <= qmax);
        if (J <= best * (1 + 1e-6)) optimal++;
        total++;
        ratioSum += J / best;
        initSum += r.initialObjective[c] / best;
      }
    }
    // Measured: 24/40 (M=2) and 19/40 (M=3) exactly optimal; mean J / J* 1.21 and 1.12, against 2.55 and 1.38
    // for TF-Lite rounding. Coordinate descent finds local optima, so "most" is about half on these
    // strongly correlated inputs; the excess over the optimum is what it reliably cuts.
    assert.ok(optimal >= 15, `M=${M}: only ${optimal}/${total} optimal`);
    assert.ok(ratioSum / total < 1.3, `M=${M}: mean ratio ${ratioSum / total}`);
    assert.ok(ratioSum / total - 1 < 0.5 * (initSum / total - 1), `M=${M}: excess ${ratioSum / total - 1} vs TF-Lite ${initSum / total - 1}`);
  }
});

test('objective never increases across sweeps (trace), for 2..8 bits', async () => {
  const k = makeCase(21, 400, 24, 6, 0.5);
  for (const bits of [2, 3, 4, 5, 8]) {
    const r = await bitsplitSolve(k.p, k.W, { bits, tol: 0, maxSweeps: 30, trace: true });
    assert.ok(r.history !== undefined && r.history.length === 6);
    r.history!.forEach((h, c) => {
      assert.is(h.length, r.channelSweeps[c] + 1);
      for (let i = 1; i < h.length; i++) assert.ok(h[i] <= h[i - 1] + 1e-12 * k.p.yy[c], `bits ${bits} channel ${c} sweep ${i}: ${h[i]} > ${h[i - 1]}`);
      assert.ok(h[0] <= r.initialObjective[c] * (1 + 1e-6), 'the first scale fit cannot hurt');
    });
    // The returned integers and float32 scales reproduce the reported objective from the samples.
    const direct = directError(k, r.q, r.alpha);
    for (let c = 0; c < 6; c++) close(r.objective[c], direct[c], 1e-6, `bits ${bits} channel ${c}`);
  }
});

test('alpha is the least-squares scale: a numeric line search cannot improve it', async () => {
  const k = makeCase(31, 200, 12, 4, 0.4);
  const r = await bitsplitSolve(k.p, k.W, { bits: 4, tol: 0 });
  for (let c = 0; c < 4; c++) {
    const qc = Array.from(r.q.subarray(c * 12, (c + 1) * 12));
    const J = (a: number): number => reconstructionError({ ...k.p, OC: 1, xy: k.p.xy.subarray(c * 12, (c + 1) * 12), yy: k.p.yy.subarray(c, c + 1) }, qc, [a])[0];
    // Golden-section search on [alpha / 4, 4 alpha].
    let lo = r.alpha[c] / 4, hi = 4 * r.alpha[c];
    const phi = (Math.sqrt(5) - 1) / 2;
    for (let i = 0; i < 200; i++) {
      const m1 = hi - phi * (hi - lo), m2 = lo + phi * (hi - lo);
      if (J(m1) < J(m2)) hi = m2; else lo = m1;
    }
    close((lo + hi) / 2, r.alpha[c], 1e-6, `channel ${c} alpha`);
    assert.ok(r.alpha[c] > 0);
  }
});

test('X = identity: the problem is weight rounding, and the ternary fixed point is nearest rounding', async () => {
  // N = D samples, sample n is the unit vector e_n, and y = w: J = (1/D) ||w - alpha q||^2.
  const D = 16, OC = 3;
  const r0 = rng(41);
  const X = new Float32Array(D * D);
  for (let n = 0; n < D; n++) X[n * D + n] = 1;
  const W = Float32Array.from({ length: OC * D }, () => gauss(r0));
  const Y = new Float32Array(D * OC);
  for (let n = 0; n < D; n++) for (let c = 0; c < OC; c++) Y[n * OC + c] = W[c * D + n];
  const p = buildProblemJs(X, Y, D, D, OC);
  for (const bits of [2, 3, 4]) {
    const r = await bitsplitSolve(p, W, { bits, tol: 0, maxSweeps: 100 });
    for (let c = 0; c < OC; c++) {
      let e = 0, eInit = 0;
      const a0 = Math.fround(Math.max(...Array.from(W.subarray(c * D, (c + 1) * D), Math.abs)) / ((1 << (bits - 1)) - 1));
      const qmax = (1 << (bits - 1)) - 1;
      for (let k = 0; k < D; k++) {
        const w = W[c * D + k];
        e += (w - r.alpha[c] * r.q[c * D + k]) ** 2;
        const q0 = Math.max(-qmax, Math.min(qmax, Math.sign(w) * Math.round(Math.abs(w) / a0)));
        eInit += (w - a0 * q0) ** 2;
      }
      close(r.objective[c], e / D, 1e-9, `bits ${bits} channel ${c} weight-space error`);
      close(r.initialObjective[c], eInit / D, 1e-9, `bits ${bits} channel ${c} TF-Lite error`);
      assert.ok(r.objective[c] < r.initialObjective[c], `bits ${bits} channel ${c} improves on max scaling`);
      if (bits === 2) {
        // Ternary: every move is a bit move, so at convergence each q is the nearest level to w / alpha.
        for (let k = 0; k < D; k++) assert.is(r.q[c * D + k], Math.max(-1, Math.min(1, Math.round(W[c * D + k] / r.alpha[c]))));
      }
    }
  }
});

test('damping adds lambda ||alpha q - w||^2 (lambda = damp * mean diag G) to every channel, and a strong one fits w', async () => {
  const k = makeCase(23, 40, 12, 3, 0.3);
  const damped = buildProblemJs(k.X, k.Y, k.N, k.D, k.OC);
  const damp = 0.25;
  dampTowards(damped, k.W, damp);
  let trace = 0;
  for (let i = 0; i < k.D; i++) trace += k.p.gram[i * k.D + i];
  const lambda = (damp * trace) / k.D;
  const r = rng(5);
  const q = Float64Array.from({ length: k.OC * k.D }, () => Math.round(3 * gauss(r)));
  const alpha = [0.3, 0.7, 1.1];
  const plain = reconstructionError(k.p, q, alpha), withDamp = reconstructionError(damped, q, alpha);
  for (let c = 0; c < k.OC; c++) {
    let pull = 0;
    for (let i = 0; i < k.D; i++) pull += (alpha[c] * q[c * k.D + i] - k.W[c * k.D + i]) ** 2;
    close(withDamp[c], plain[c] + lambda * pull, 1e-9, `channel ${c}`);
  }
  // damp 0 changes nothing
  const same = buildProblemJs(k.X, k.Y, k.N, k.D, k.OC);
  dampTowards(same, k.W, 0);
  assert.equal(Array.from(same.gram), Array.from(k.p.gram));
  assert.equal(Array.from(same.xy), Array.from(k.p.xy));
  // Overwhelming damping: the fit is weight-space rounding, the X = identity problem of the test above.
  const strong = buildProblemJs(k.X, k.Y, k.N, k.D, k.OC);
  dampTowards(strong, k.W, 1e9);
  const got = await bitsplitSolve(strong, k.W, { bits: 2, tol: 0, maxSweeps: 100 });
  for (let i = 0; i < k.OC * k.D; i++) assert.is(got.q[i], Math.max(-1, Math.min(1, Math.round(k.W[i] / got.alpha[Math.floor(i / k.D)]))), `weight ${i}`);
  assert.throws(() => dampTowards(same, k.W, -1), /damp -1/);
});

test('a negative least-squares scale is folded into q (alpha > 0, q negated)', async () => {
  const k = makeCase(51, 100, 6, 2, 0.05);
  const neg = Float32Array.from(k.W, (v) => -v); // y = X w but initialized from -w
  const r = await bitsplitSolve(k.p, neg, { bits: 4 });
  const ref = await bitsplitSolve(k.p, k.W, { bits: 4 });
  for (let c = 0; c < 2; c++) {
    assert.ok(r.alpha[c] > 0);
    assert.ok(r.objective[c] < 0.05 * k.p.yy[c], `channel ${c}: ${r.objective[c]} vs yy ${k.p.yy[c]}`);
    assert.ok(r.objective[c] < r.initialObjective[c]);
  }
  // Starting from -w is the mirror image of starting from w: same objective.
  for (let c = 0; c < 2; c++) close(r.objective[c], ref.objective[c], 1e-9, `channel ${c}`);
});

test('8 bits on an exactly reachable target: near-zero error', async () => {
  const k = makeCase(61, 300, 20, 4, 0);
  const r = await bitsplitSolve(k.p, k.W, { bits: 8 });
  for (let c = 0; c < 4; c++) assert.ok(r.objective[c] < 1e-4 * k.p.yy[c], `channel ${c}: ${r.objective[c] / k.p.yy[c]}`);
});

test('ternary Bit-split equals 2-bit log quantization (same level set and start)', async () => {
  const k = makeCase(71, 150, 10, 5, 0.3);
  const a = await bitsplitSolve(k.p, k.W, { bits: 2 });
  const b = await logSolve(k.p, k.W, { bits: 2 });
  assert.equal(Array.from(a.q), Array.from(b.codes));
  assert.equal(Array.from(a.alpha), Array.from(b.alpha));
});

test('deterministic: same input, same output bit for bit', async () => {
  const k = makeCase(81, 200, 30, 8, 0.4);
  const a = await bitsplitSolve(k.p, k.W, { bits: 4 });
  const b = await bitsplitSolve(k.p, k.W, { bits: 4 });
  assert.equal(Buffer.from(a.q.buffer), Buffer.from(b.q.buffer));
  assert.equal(Buffer.from(a.alpha.buffer), Buffer.from(b.alpha.buffer));
  assert.equal(Buffer.from(a.objective.buffer), Buffer.from(b.objective.buffer));
  assert.equal(a.channelSweeps, b.channelSweeps);
});

test('degenerate channels: all-zero weights and zero targets stay finite', async () => {
  const k = makeCase(91, 50, 5, 2, 0.1);
  const w = new Float32Array(10); // channel 0 all zero, channel 1 from the case
  w.set(k.W.subarray(5, 10), 5);
  const r = await bitsplitSolve(k.p, w, { bits: 4 });
  assert.ok(Number.isFinite(r.alpha[0]) && r.alpha[0] > 0);
  assert.ok(r.objective[0] <= k.p.yy[0] * (1 + 1e-12));
  const zero = { ...k.p, xy: new Float64Array(10), yy: new Float64Array(2) };
  const z = await bitsplitSolve(zero, k.W, { bits: 3 });
  assert.equal(Array.from(z.alpha).every((a) => Number.isFinite(a) && a > 0), true);
  for (let c = 0; c < 2; c++) assert.ok(z.objective[c] <= z.initialObjective[c]);
});

test('rejects bad sizes and bit widths', async () => {
  const k = makeCase(95, 20, 3, 1, 0.1);
  await rejects(() => bitsplitSolve(k.p, new Float32Array(4), { bits: 4 }), /weights/);
  await rejects(() => bitsplitSolve(k.p, k.W, { bits: 1 }), /2\.\.8 bits/);
  await rejects(() => bitsplitSolve(k.p, k.W, { bits: 4, maxSweeps: -1 }), /maxSweeps/);
});

test.run();
