// Optimization-based logarithmic weight quantization (Bit-split paper, Section 3.3.2), M = 2..4 bits.
//
// Level set. An M-bit code is 1 sign bit and an (M-1)-bit magnitude index j in 0..L, L = 2^(M-1) - 1:
//   j = 0 -> 0,   j >= 1 -> 2^-(j-1)        (so the magnitudes are 0, 1, 1/2, ..., 2^-(L-1))
// and the weight is alpha * sign * level(j). Zero's sign bit is irrelevant (code 0 here); 2L + 1 distinct values:
//   M = 2: {0, +-1} alpha (ternary)      M = 3: {0, +-1/4, +-1/2, +-1} alpha      M = 4: {0, +-2^-6 .. +-1} alpha
// Every level is an integer multiple of alpha 2^-(L-1), so the result is also given as power-of-two integers
// `ints` (|ints| <= 2^(L-1) = 1, 4, 64 for M = 2, 3, 4: Int8 holds them) with scale = alpha 2^-(L-1), i.e. the
// same (q, per-channel scale) form as uniform weights, for the pipeline and for shift-based hardware.
//
// Algorithm: initialize alpha = max|w| and each level to the nearest one to w / alpha, fit alpha in closed
// form (Eq. 21: alpha = b.q / q.Gq); then repeat one discrete cyclic coordinate descent sweep (DCC: at each
// coordinate the best of all 2L + 1 levels, the paper's D 2^M check) and the alpha refit, until a sweep lowers
// J by less than tol * J, changes nothing, or maxSweeps is reached. J never increases (as for Bit-split).
// Log codes converge more slowly than Bit-split (each refit of alpha shifts every level), so the sweep cap
// is reached more often; the last sweeps gain < 0.1 % of J.
import { type LayerProblem, gramTimes } from './gram.js';
import { type SolveOptions, type SolveStats, addRow, alternate, channelStats, checkProblem, resolveOptions } from './core.js';
import { positiveLevels } from '../../intmodel/grid.js';

export interface LogOptions extends SolveOptions {
  /** Total bits M (sign included), 2..4. */
  bits: number;
}

export interface LogResult extends SolveStats {
  /** Codes sign * j, OC x D: j = 0 is zero, j >= 1 is the level 2^-(j-1). */
  codes: Int8Array;
  /** The same weights as integers sign * 2^(L-j) (0 for j = 0): w = scale[c] * ints[c, k]. */
  ints: Int8Array;
  /** Per-channel alpha, the value of level 1 (the largest magnitude). */
  alpha: Float32Array;
  /** Per-channel alpha * 2^-(L-1), the value of integer 1 in `ints`. */
  scale: Float32Array;
  /** Magnitude of each index j (level units, times alpha): [0, 1, 1/2, ...]. */
  levels: Float64Array;
}

/** Magnitudes for index j = 0..L, L = 2^(M-1) - 1. */
export function logLevels(bits: number): Float64Array {
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 4)) throw new Error(`internal: log quantization needs 2..4 bits, got ${bits}`);
  const L = positiveLevels(bits, true);
  const lv = new Float64Array(L + 1);
  for (let j = 1; j <= L; j++) lv[j] = 2 ** -(j - 1);
  return lv;
}

/** The starting point: alpha = max|w| and each weight at its nearest level (ties to the lower value). */
export function logInit(wInit: Float32Array, D: number, OC: number, cand: Float64Array): { ci: Int32Array; q: Float64Array; alpha: Float64Array } {
  const ci = new Int32Array(OC * D);
  const q = new Float64Array(OC * D);
  const alpha = new Float64Array(OC);
  for (let c = 0; c < OC; c++) {
    const off = c * D;
    let maxAbs = 0;
    for (let k = 0; k < D; k++) maxAbs = Math.max(maxAbs, Math.abs(wInit[off + k]));
    const a = maxAbs > 0 ? maxAbs : 1;
    alpha[c] = a;
    for (let k = 0; k < D; k++) {
      const i = nearest(cand, wInit[off + k] / a);
      ci[off + k] = i;
      q[off + k] = cand[i];
    }
  }
  return { ci, q, alpha };
}

/** Index of the candidate (ascending) nearest to x; on a tie the lower one. */
function nearest(cand: Float64Array, x: number): number {
  let lo = 0, hi = cand.length - 1;
  if (x <= cand[lo]) return lo;
  if (x >= cand[hi]) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cand[mid] <= x) lo = mid;
    else hi = mid;
  }
  return x - cand[lo] <= cand[hi] - x ? lo : hi;
}

/**
 * Solves every output channel of one group (wInit: OC x D float weights in the problem's im2col order).
 * A coordinate's best level given the others is the one nearest to its unconstrained minimizer
 * v* = v0 - g_k / (2 alpha G_kk) (dJ is a parabola in the new value), found by bisection; this is the same
 * choice as trying all 2^M levels, at O(log 2^M) per coordinate.
 */
export async function logSolve(p: LayerProblem, wInit: Float32Array, o: LogOptions): Promise<LogResult> {
  checkProblem(p, wInit);
  const levels = logLevels(o.bits);
  const { maxSweeps, tol } = resolveOptions(o);
  const { D, OC, gram, xy, yy } = p;
  const L = levels.length - 1;
  // Signed candidate values, ascending, and their codes; index i <-> nc - 1 - i negates the value.
  const cand = new Float64Array(2 * L + 1);
  const candCode = new Int8Array(2 * L + 1);
  for (let j = 1; j <= L; j++) {
    cand[j - 1] = -levels[j];
    candCode[j - 1] = -j;
  }
  for (let i = 1; i <= L; i++) {
    cand[L + i] = levels[L + 1 - i];
    candCode[L + i] = L + 1 - i;
  }
  const nc = cand.length;

  const init = logInit(wInit, D, OC, cand);
  const gAll = await gramTimes(p, init.q);

  const codes = new Int8Array(OC * D);
  const ints = new Int8Array(OC * D);
  const alphaOut = new Float32Array(OC);
  const scaleOut = new Float32Array(OC);
  const { stats, record } = channelStats(OC, o.trace ?? false);

  const diag = new Float64Array(D);
  for (let k = 0; k < D; k++) diag[k] = gram[k * D + k];
  const unit = 2 ** -(L - 1);

  for (let c = 0; c < OC; c++) {
    const off = c * D;
    const qv = init.q.subarray(off, off + D);
    const ci = init.ci.subarray(off, off + D);
    const g = gAll.subarray(off, off + D);
    const flip = () => {
      for (let k = 0; k < D; k++) ci[k] = nc - 1 - ci[k];
    };
    const run = alternate({ yy: yy[c], xy, off, qv, g, D, alpha: init.alpha[c] }, { tol, maxSweeps, trace: o.trace ?? false }, flip, (a, eps) => {
      let changed = 0;
      for (let k = 0; k < D; k++) {
        const hk = a * diag[k];
        if (!(hk > 0)) continue; // an input that is always zero: J does not depend on this weight
        const v0 = qv[k];
        const gk = 2 * (a * g[k] - xy[off + k]);
        const i = nearest(cand, v0 - gk / (2 * hk));
        if (i === ci[k]) continue;
        const d = cand[i] - v0;
        if (d * gk + d * d * hk < -eps) {
          ci[k] = i;
          qv[k] = cand[i];
          addRow(gram, D, k, d, g);
          changed++;
        }
      }
      return changed;
    });
    alphaOut[c] = run.alpha;
    scaleOut[c] = Math.fround(run.alpha * unit);
    for (let k = 0; k < D; k++) {
      const code = candCode[ci[k]];
      codes[off + k] = code;
      const j = Math.abs(code);
      ints[off + k] = j === 0 ? 0 : Math.sign(code) * (1 << (L - j));
    }
    record(c, run);
  }
  return { codes, ints, alpha: alphaOut, scale: scaleOut, levels, ...stats };
}
