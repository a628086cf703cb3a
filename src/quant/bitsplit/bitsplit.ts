// Bit-split and Stitching (Bit-split paper, Section 3.3.1) for M-bit symmetric uniform weights
// q in {-(2^(M-1)-1) .. 2^(M-1)-1}, one scale alpha per output channel:
//
// 1. Initialize as TF-Lite (Eq. 12): alpha = max|w| / qmax, q = round(w / alpha) (half away from zero).
// 2. Split (Eq. 13): q = sum_{m=1}^{M-1} 2^(m-1) q_m with ternary q_m = sign(q) * (bit m-1 of |q|), so each
//    integer's bits share its sign at the start. The stitched q always stays in [-qmax, qmax].
// 3. Fit alpha in closed form (Eq. 14): alpha = b.q / q.Gq. Then repeat: for each bit m, one cyclic
//    coordinate-descent sweep over q_m's D coordinates with alpha and the other bits fixed (Eqs. 15-18),
//    stitch (Eq. 19, implicit: q is kept stitched) and refit alpha; stop when a sweep lowers J by less than
//    tol * J, changes nothing, or after maxSweeps sweeps.
//
// Eq. 16 of the paper has its exponents swapped. Holding alpha and the bits i != m fixed,
//   alpha X q = alpha 2^(m-1) X q_m + alpha X sum_{i != m} 2^(i-1) q_i,
// so bit m's subproblem is min ||y_m - alpha_m X q_m||^2 with
//   y_m = y - alpha X sum_{i != m} 2^(i-1) q_i   and   alpha_m = alpha 2^(m-1)
// (the paper prints 2^(m-1) inside the sum and 2^(m-2) for alpha_m). With A = alpha_m^2 G and
// s = -2 alpha_m X^T y_m, Eq. 18 (q_m^(k) = -sign(r_k) if |r_k| > A_kk, else 0) is exactly "pick the
// t in {-1, 0, 1} that minimizes J". That is what is evaluated here, from the change of the full objective
// when q_k moves by d = 2^(m-1) (t - t0):  dJ = alpha (d g_k + alpha d^2 G_kk) with g_k = 2 (alpha (Gq)_k - b_k),
// which needs no y_m: the maintained G q carries the other bits. Moves are taken only when they lower J, and
// alpha is a least-squares fit, so J never increases. A negative fitted alpha is folded into q (q -> -q).
import { type LayerProblem, gramTimes } from './gram.js';
import { clampSymmetric, positiveLevels, roundHalfAway } from '../../intmodel/grid.js';
import { type SolveOptions, type SolveStats, addRow, alternate, channelStats, checkProblem, negate, resolveOptions } from './core.js';

export interface BitsplitOptions extends SolveOptions {
  /** Total weight bits M (sign included), 2..8; M = 2 is ternary. */
  bits: number;
}

export interface BitsplitResult extends SolveStats {
  /** Integers, OC x D (same layout as wInit), |q| <= 2^(M-1) - 1. */
  q: Int8Array;
  /** Per-channel scale: the quantized weight is alpha[c] * q[c, k]. */
  alpha: Float32Array;
}

/** TF-Lite per-channel quantization (Eq. 12): the solver's starting point. An all-zero channel gets alpha = 1. */
export function tfliteInit(wInit: Float32Array, D: number, OC: number, bits: number): { q: Float64Array; alpha: Float64Array } {
  const qmax = positiveLevels(bits, true);
  const q = new Float64Array(OC * D);
  const alpha = new Float64Array(OC);
  for (let c = 0; c < OC; c++) {
    const off = c * D;
    let maxAbs = 0;
    for (let k = 0; k < D; k++) maxAbs = Math.max(maxAbs, Math.abs(wInit[off + k]));
    const a = maxAbs > 0 ? maxAbs / qmax : 1;
    alpha[c] = a;
    for (let k = 0; k < D; k++) q[off + k] = clampSymmetric(roundHalfAway(wInit[off + k] / a), bits);
  }
  return { q, alpha };
}

/**
 * Solves every output channel of one group. `wInit` is the float weights, OC x D in the im2col order of the
 * problem's X (for a conv weight [OC, IC/groups, kh, kw] that is its natural layout, restricted to the group).
 * Async only because the starting G q of all channels is one onnxruntime MatMul; the result is deterministic.
 */
export async function bitsplitSolve(p: LayerProblem, wInit: Float32Array, o: BitsplitOptions): Promise<BitsplitResult> {
  checkProblem(p, wInit);
  const M = o.bits;
  if (!(Number.isInteger(M) && M >= 2 && M <= 8)) throw new Error(`internal: Bit-split needs 2..8 bits, got ${M}`);
  const { maxSweeps, tol } = resolveOptions(o);
  const { D, OC, gram, xy, yy } = p;
  const nb = M - 1;

  const init = tfliteInit(wInit, D, OC, M);
  const qAll = init.q;
  const gAll = await gramTimes(p, qAll);

  const q = new Int8Array(OC * D);
  const alphaOut = new Float32Array(OC);
  const { stats, record } = channelStats(OC, o.trace ?? false);

  const bits = new Int8Array(nb * D);
  const diag = new Float64Array(D);
  for (let k = 0; k < D; k++) diag[k] = gram[k * D + k];

  for (let c = 0; c < OC; c++) {
    const off = c * D;
    const qv = qAll.subarray(off, off + D);
    const g = gAll.subarray(off, off + D);
    for (let k = 0; k < D; k++) {
      const mag = Math.abs(qv[k]), sg = qv[k] < 0 ? -1 : 1;
      for (let m = 0; m < nb; m++) bits[m * D + k] = (mag >> m) & 1 ? sg : 0;
    }
    const run = alternate({ yy: yy[c], xy, off, qv, g, D, alpha: init.alpha[c] }, { tol, maxSweeps, trace: o.trace ?? false }, () => negate(bits), (a, eps) => {
      let changed = 0;
      for (let m = 0; m < nb; m++) {
        const step = 1 << m;
        const bo = m * D;
        for (let k = 0; k < D; k++) {
          const t0 = bits[bo + k];
          const gk = 2 * (a * g[k] - xy[off + k]);
          const hk = a * diag[k];
          // The two other ternary values; dJ / alpha = d gk + d^2 hk.
          let best = -eps, bestD = 0, bestT = t0;
          for (let t = -1; t <= 1; t++) {
            if (t === t0) continue;
            const d = step * (t - t0);
            const v = d * gk + d * d * hk;
            if (v < best) {
              best = v;
              bestD = d;
              bestT = t;
            }
          }
          if (bestD !== 0) {
            bits[bo + k] = bestT;
            qv[k] += bestD;
            addRow(gram, D, k, bestD, g);
            changed++;
          }
        }
      }
      return changed;
    });
    alphaOut[c] = run.alpha;
    for (let k = 0; k < D; k++) q[off + k] = qv[k];
    record(c, run);
  }
  return { q, alpha: alphaOut, ...stats };
}
