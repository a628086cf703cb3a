// The bounded least-squares fit on models whose answer is known: a linear model is fitted exactly with the
// textbook uncertainties, bounds hold, and the rank decides how many parameters the data can carry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FitProblem, fitBounded, leaveOneOut } from '../../src/calibrate/fit.js';
import { pivotedRank } from '../../src/calibrate/linalg.js';

function linear(A: number[][], b: number[], lower = -100): FitProblem {
  return {
    params: A[0].map((_, j) => ({ name: `p${j}`, start: 0, lower, upper: 100, step: 0.5 })),
    rows: A.length,
    residuals: (x, rows) => rows.map((i) => A[i].reduce((s, a, k) => s + a * x[k], 0) - b[i]),
  };
}

test('a linear model is fitted to its least-squares answer, with sigma from the residual variance', () => {
  // y = 1 + 2 t with residuals -0.1, +0.1, +0.1, -0.1 around the line: the answer and covariance are textbook
  const t = [0, 1, 2, 3];
  const y = [0.9, 3.1, 5.1, 6.9];
  const f = fitBounded(linear(t.map((v) => [1, v]), y));
  assert.ok(Math.abs(f.x[0] - 1) < 1e-4 && Math.abs(f.x[1] - 2) < 1e-4, f.x.join(','));
  // s^2 = SSR / 2; var(slope) = s^2 / sum (t - mean)^2 = s^2 / 5
  const ssr = f.residuals.reduce((s, r) => s + r * r, 0);
  assert.equal(f.dof, 2);
  const sigma = f.status[1].kind === 'fitted' ? f.status[1].sigma! : NaN;
  assert.ok(Math.abs(sigma - Math.sqrt(ssr / 2 / 5)) < 1e-6, String(sigma));
});

test('a parameter the data push past its bound is held there and said to be', () => {
  // the best unbounded answer has p1 = -1; with p1 >= 0 it stays at 0 and p0 takes the rest
  const f = fitBounded(linear([[1, 1], [1, 2], [1, 3]], [1, 0, -1], 0));
  assert.equal(f.status[1], { kind: 'bound', side: 'lower' });
  assert.is(f.x[1], 0);
  assert.ok(Math.abs(f.x[0]) < 1e-4, String(f.x[0]));
});

test('one measurement fits one parameter, the first one that moves it, and holds the others', () => {
  const f = fitBounded(linear([[0, 2, 1]], [4]));
  assert.equal(f.status.map((s) => s.kind), ['no-effect', 'fitted', 'too-few']);
  assert.ok(Math.abs(f.x[1] - 2) < 1e-4 && f.x[2] === 0);
  assert.is(f.dof, 0);
  assert.is((f.status[1] as { sigma?: number }).sigma, undefined);
});

test('a parameter whose effect is another one\'s is held, naming it', () => {
  const f = fitBounded(linear([[1, 2, 1], [2, 4, 0], [3, 6, 1]], [1, 2, 3]));
  assert.equal(f.status[1], { kind: 'collinear', with: 'p0' });
  assert.equal(f.status[0].kind, 'fitted');
  assert.equal(f.status[2].kind, 'fitted');
});

test('pivoted QR ranks columns whatever their scale', () => {
  const r = pivotedRank([[1e6, 0, 2e6], [0, 1e-6, 0], [1e6, 0, 2e6]], 1e-3);
  assert.is(r.rank, 2);
  assert.equal(r.order.slice(0, 2).sort(), [0, 1]);
});

test('leave-one-out of a line through noisy points equals the closed form r_i / (1 - h_ii)', () => {
  const t = [0, 1, 2, 3, 4];
  const y = [0.1, 0.9, 2.2, 2.8, 4.1];
  const p = linear(t.map((v) => [1, v]), y);
  const f = fitBounded(p);
  const loo = leaveOneOut(p, f).predicted;
  const mean = 2, sxx = 10;
  t.forEach((v, i) => {
    const h = 1 / t.length + (v - mean) ** 2 / sxx;
    assert.ok(Math.abs(loo[i]! - f.residuals[i] / (1 - h)) < 1e-4, `${i}: ${loo[i]} vs ${f.residuals[i] / (1 - h)}`);
  });
});

test.run();
