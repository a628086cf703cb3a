// Bounded nonlinear least squares for a few parameters of an expensive model (each evaluation is a
// simulation): Levenberg-Marquardt on the free parameters with bounds (a step is projected onto the box, and
// parameters held at a bound by the gradient take no step), a forward-difference Jacobian that later steps
// update by Broyden's rank-one rule and that is recomputed before the fit may stop, so the answer and its
// uncertainties rest on a fresh Jacobian. Pure: the model is the `residuals` callback.
//
// Only the parameters the data determine are fitted: the Jacobian at the start is ranked by QR with column
// pivoting (columns scaled to unit norm); a parameter that moves no residual, or whose effect on the runs is a
// combination of parameters already chosen, is held at its start value and reported with the reason.
import { Matrix, inverse, pivotedRank, solve, transposeTimes, transposeTimesVector } from './linalg.js';

export interface FitParam {
  name: string;
  start: number;
  lower: number;
  upper: number;
  /** Forward-difference step: large enough to move the model past its rounding, small against the range. */
  step: number;
}

export interface FitProblem {
  params: FitParam[];
  /** Number of measurements. */
  rows: number;
  /** The residuals of `rows` (indices into the measurements) at parameter values x. */
  residuals(x: readonly number[], rows: readonly number[]): number[];
}

export type ParamStatus =
  | { kind: 'fitted'; sigma?: number }
  | { kind: 'bound'; side: 'lower' | 'upper' }
  | { kind: 'no-effect' }
  | { kind: 'collinear'; with: string }
  /** The runs are fewer than the parameters their effects separate: n runs identify at most n. */
  | { kind: 'too-few'; runs: number };

export interface FitResult {
  x: number[];
  status: ParamStatus[];
  residuals: number[];
  /** Measurements less fitted parameters; the uncertainties need it above zero. */
  dof: number;
  /** The Jacobian of the residuals at x, columns of the fitted parameters (in `fittedIndex` order). */
  jacobian: Matrix;
  fittedIndex: number[];
  evaluations: number;
}

/** Columns under this norm, after scaling to unit norm, are combinations of the ones chosen before them. */
export const RANK_TOLERANCE = 1e-3;
/** A column whose largest change of any residual over one step is under this moves nothing. */
const NO_EFFECT = 1e-9;

const sumSq = (r: readonly number[]) => r.reduce((s, v) => s + v * v, 0);
const clamp = (v: number, p: FitParam) => Math.min(p.upper, Math.max(p.lower, v));

interface Counter { n: number }

function jacobian(p: FitProblem, rows: readonly number[], free: readonly number[], x: readonly number[], r: readonly number[], count: Counter): Matrix {
  const J: Matrix = rows.map(() => new Array<number>(free.length).fill(0));
  free.forEach((j, k) => {
    const q = p.params[j];
    const h = x[j] + q.step <= q.upper ? q.step : -Math.min(q.step, x[j] - q.lower);
    if (h === 0) return;
    const xs = [...x];
    xs[j] += h;
    const rs = p.residuals(xs, rows);
    count.n++;
    for (let i = 0; i < rows.length; i++) J[i][k] = (rs[i] - r[i]) / h;
  });
  return J;
}

/** Free parameters the gradient pushes out through the bound they sit on take no step. */
function heldAtBound(p: FitProblem, free: readonly number[], x: readonly number[], g: readonly number[]): boolean[] {
  return free.map((j, k) => {
    const q = p.params[j];
    return (x[j] <= q.lower && g[k] > 0) || (x[j] >= q.upper && g[k] < 0);
  });
}

function lmStep(p: FitProblem, free: readonly number[], x: readonly number[], Jx: Matrix, r: readonly number[], lambda: number): number[] | undefined {
  // in units of each parameter's step, so that a cycle count and an efficiency weigh alike in the solve
  const J = Jx.map((row) => row.map((v, k) => v * p.params[free[k]].step));
  const g = transposeTimesVector(J, [...r]);
  const held = heldAtBound(p, free, x, g);
  const A = transposeTimes(J, J);
  // Projected step: a parameter on a bound that the step would push through is held there and the step is
  // solved again without it, until every moving parameter stays inside.
  for (let round = 0; round <= free.length; round++) {
    const act = free.map((_, k) => k).filter((k) => !held[k]);
    if (act.length === 0) return undefined;
    const maxDiag = Math.max(...act.map((k) => A[k][k]));
    if (!(maxDiag > 0)) return undefined;
    const M = act.map((a) => act.map((b) => A[a][b] + (a === b ? lambda * (A[a][a] + 1e-12 * maxDiag) : 0)));
    const d = solve(M, act.map((k) => -g[k]));
    if (!d) return undefined;
    let again = false;
    act.forEach((k, i) => {
      const q = p.params[free[k]];
      const v = x[free[k]];
      if ((v <= q.lower && d[i] < 0) || (v >= q.upper && d[i] > 0)) [held[k], again] = [true, true];
    });
    if (again) continue;
    const xn = [...x];
    act.forEach((k, i) => (xn[free[k]] = clamp(x[free[k]] + d[i] * p.params[free[k]].step, p.params[free[k]])));
    return xn;
  }
  return undefined;
}

/** Relative decrease of the sum of squares under which the fit has converged. */
const CONVERGED = 1e-6;

/** Levenberg-Marquardt over `free` from x0; returns the point, its residuals and a fresh Jacobian there. */
function minimize(
  p: FitProblem, rows: readonly number[], free: readonly number[], x0: readonly number[], r0: number[] | undefined, J0: Matrix | undefined,
  count: Counter, freshEnd: boolean,
) {
  let x = [...x0];
  let r = r0 ?? p.residuals(x, rows);
  if (!r0) count.n++;
  if (free.length === 0) return { x, r, J: rows.map(() => []) as Matrix };
  let J = J0 ?? jacobian(p, rows, free, x, r, count);
  let fresh = J0 === undefined;
  // nearly linear models: start close to Gauss-Newton
  let lambda = 1e-6;
  let rejected = 0;
  const refresh = () => {
    J = jacobian(p, rows, free, x, r, count);
    fresh = true;
    rejected = 0;
  };
  for (let it = 0; it < 100 && sumSq(r) > 0; it++) {
    const xn = lmStep(p, free, x, J, r, lambda);
    // what the (linear) model promises for the step: not worth a simulation when it is next to nothing
    const dx = free.map((j) => (xn ? xn[j] - x[j] : 0));
    const promised = sumSq(r) - sumSq(r.map((v, i) => v + J[i].reduce((s, a, k) => s + a * dx[k], 0)));
    if (!xn || !(promised > CONVERGED * sumSq(r))) {
      if (fresh) break;
      refresh();
      continue;
    }
    const rn = p.residuals(xn, rows);
    count.n++;
    broyden(J, r, rn, dx);
    const [before, after] = [sumSq(r), sumSq(rn)];
    if (after < before) {
      [x, r] = [xn, rn];
      fresh = false;
      rejected = 0;
      lambda = Math.max(lambda / 10, 1e-12);
    } else {
      lambda *= 10;
      // a model that is piecewise linear may refuse every step from a kink: a few tries, then a fresh look
      if (++rejected > 4) {
        if (fresh) break;
        refresh();
      }
    }
  }
  if (!fresh && freshEnd) J = jacobian(p, rows, free, x, r, count);
  return { x, r, J };
}

/** Broyden's update: the Jacobian made to agree with the change just observed. */
function broyden(J: Matrix, r: readonly number[], rn: readonly number[], dx: readonly number[]): void {
  const dd = dx.reduce((s, v) => s + v * v, 0);
  if (dd === 0) return;
  for (let i = 0; i < J.length; i++) {
    const pred = J[i].reduce((s, v, k) => s + v * dx[k], 0);
    const f = (rn[i] - r[i] - pred) / dd;
    for (let k = 0; k < dx.length; k++) J[i][k] += f * dx[k];
  }
}

/** Which of `cand` the Jacobian columns identify, and why each other one is held. */
function choose(p: FitProblem, J: Matrix, cand: readonly number[], steps: readonly number[]): { chosen: number[]; held: Map<number, ParamStatus> } {
  const held = new Map<number, ParamStatus>();
  const live: number[] = [];
  cand.forEach((j, k) => {
    const change = Math.max(0, ...J.map((row) => Math.abs(row[k] * steps[k])));
    if (change < NO_EFFECT) held.set(j, { kind: 'no-effect' });
    else live.push(k);
  });
  const sub = J.map((row) => live.map((k) => row[k]));
  const { order, rank } = pivotedRank(sub, RANK_TOLERANCE);
  const chosen = order.slice(0, rank).map((i) => cand[live[i]]);
  const unit = (k: number) => {
    const n = Math.hypot(...J.map((row) => row[k]));
    return J.map((row) => row[k] / n);
  };
  for (const i of order.slice(rank)) {
    const k = live[i];
    if (rank === J.length) {
      held.set(cand[k], { kind: 'too-few', runs: J.length });
      continue;
    }
    // name the chosen parameter whose effect on the runs is most alike
    let like = chosen[0], cos = -1;
    for (const c of chosen) {
      const a = unit(k), b = unit(cand.indexOf(c));
      const v = Math.abs(a.reduce((s, t, q) => s + t * b[q], 0));
      if (v > cos) [like, cos] = [c, v];
    }
    held.set(cand[k], { kind: 'collinear', with: p.params[like].name });
  }
  return { chosen: chosen.sort((a, b) => a - b), held };
}

export interface FitOptions {
  /** Fit only among these parameters (indices), the others at their start; default all. */
  among?: number[];
  /** Start here instead of the parameters' start values (candidates the data do not identify go back to their start). */
  from?: number[];
  /** The Jacobian at `from` over `among`, when the caller has it. */
  jacobian?: Matrix;
  rows?: number[];
  /** False: no fresh Jacobian at the answer (its uncertainties are then not computed). */
  uncertainties?: boolean;
}

/** Fits the parameters the data identify; the others stay at their start values. */
export function fitBounded(p: FitProblem, opts: FitOptions = {}): FitResult {
  const count: Counter = { n: 0 };
  const rows = opts.rows ?? Array.from({ length: p.rows }, (_, i) => i);
  const among = opts.among ?? p.params.map((_, j) => j);
  const x0 = opts.from ? [...opts.from] : p.params.map((q) => q.start);
  const r0 = p.residuals(x0, rows);
  count.n++;
  const J0 = opts.jacobian ?? jacobian(p, rows, among, x0, r0, count);
  const { chosen, held } = choose(p, J0, among, among.map((j) => p.params[j].step));
  // candidates not chosen go back to their start; parameters outside `among` stay where `from` has them
  const start = x0.map((v, j) => (chosen.includes(j) || !among.includes(j) ? v : p.params[j].start));
  const Jc = J0.map((row) => chosen.map((j) => row[among.indexOf(j)]));
  const same = start.every((v, j) => v === x0[j]);
  const wantSigma = opts.uncertainties ?? true;
  const { x, r, J } = minimize(p, rows, chosen, start, same ? r0 : undefined, same ? Jc : undefined, count, wantSigma);
  const g = transposeTimesVector(J, r);
  const atBound = heldAtBound(p, chosen, x, g);
  const status: ParamStatus[] = p.params.map((q, j) => {
    if (!among.includes(j)) return { kind: 'no-effect' };
    const k = chosen.indexOf(j);
    if (k < 0) return held.get(j)!;
    if (atBound[k]) return { kind: 'bound', side: x[j] <= q.lower ? 'lower' : 'upper' };
    return { kind: 'fitted' };
  });
  const fittedIndex = chosen.filter((j) => status[j].kind === 'fitted');
  const Jf = J.map((row) => fittedIndex.map((j) => row[chosen.indexOf(j)]));
  const dof = rows.length - fittedIndex.length;
  if (wantSigma && dof > 0 && fittedIndex.length > 0) {
    const cov = inverse(transposeTimes(Jf, Jf));
    const s2 = sumSq(r) / dof;
    if (cov) fittedIndex.forEach((j, k) => (status[j] = { kind: 'fitted', sigma: Math.sqrt(Math.max(0, cov[k][k] * s2)) }));
  }
  return { x, status, residuals: r, dof, jacobian: Jf, fittedIndex, evaluations: count.n };
}

/**
 * Leave-one-out: each measurement predicted by a fit to all the others (the same choice of parameters, among
 * the ones the full fit fitted, starting from its answer). Undefined entries with fewer than two measurements.
 */
export function leaveOneOut(p: FitProblem, full: FitResult): { predicted: Array<number | undefined>; evaluations: number } {
  let evaluations = 0;
  const all = Array.from({ length: p.rows }, (_, i) => i);
  if (p.rows < 2) return { predicted: all.map(() => undefined), evaluations };
  const predicted = all.map((i) => {
    const rows = all.filter((k) => k !== i);
    const fit = fitBounded(p, {
      rows,
      among: full.fittedIndex,
      from: full.x,
      jacobian: full.jacobian.filter((_, k) => k !== i),
      uncertainties: false,
    });
    evaluations += fit.evaluations + 1;
    return p.residuals(fit.x, [i])[0];
  });
  return { predicted, evaluations };
}
