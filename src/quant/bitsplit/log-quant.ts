// Optimization-based logarithmic weight quantization (Bit-split paper, Section 3.3.2), M = 2..4 bits.
//
// Level set. An M-bit code is 1 sign bit and an (M-1)-bit magnitude index j in 0..L, L = 2^(M-1) - 1:
//   j = 0 -> 0,   j >= 1 -> 2^-(j-1)        (so the magnitudes are 0, 1, 1/2, ..., 2^-(L-1))
// and the weight is alpha * sign * level(j). Zero has two codes (+0 and -0); 2L + 1 distinct values:
//   M = 2: {0, +-1} alpha (ternary)      M = 3: {0, +-1/4, +-1/2, +-1} alpha      M = 4: {0, +-2^-6 .. +-1} alpha
// Every level is an integer multiple of alpha 2^-(L-1), so the result is also given as power-of-two integers
// `ints` (|ints| <= 2^(L-1) = 1, 4, 64 for M = 2, 3, 4: Int8 holds them) with scale = alpha 2^-(L-1), i.e. the
// same (q, per-channel scale) form as uniform weights, for the pipeline and for shift-based hardware.
//
// Algorithm: initialize alpha = max|w| and each level to the nearest one to w / alpha; then repeat one
// discrete cyclic coordinate descent sweep (DCC, every level tried at every coordinate: D (2L+1) evaluations,
// the paper's D 2^M) followed by alpha in closed form (Eq. 21: alpha = b.q / q.Gq), until a sweep lowers J by
// less than tol * J, changes nothing, or maxSweeps is reached. J never increases (same argument as Bit-split).
import { type LayerProblem } from './gram.js';
import { type SolveOptions, type SolveStats, MOVE_EPS, addRow, checkProblem, dot, initGq, objectiveAt, resolveOptions } from './core.js';

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
  const L = (1 << (bits - 1)) - 1;
  const lv = new Float64Array(L + 1);
  for (let j = 1; j <= L; j++) lv[j] = 2 ** -(j - 1);
  return lv;
}

export function logSolve(p: LayerProblem, wInit: Float32Array, o: LogOptions): LogResult {
  checkProblem(p, wInit);
  const levels = logLevels(o.bits);
  const { maxSweeps, tol } = resolveOptions(o);
  const { D, OC, gram, xy, yy } = p;
  const L = levels.length - 1;
  // Signed candidate values, ascending, and their codes.
  const cand = new Float64Array(2 * L + 1);
  const candCode = new Int8Array(2 * L + 1);
  for (let j = L, i = 0; j >= 1; j--, i++) { cand[i] = -levels[j]; candCode[i] = -j; }
  for (let j = 0; j <= L; j++) { cand[L + j] = levels[j]; candCode[L + j] = j; }
  const nc = cand.length;

  const codes = new Int8Array(OC * D);
  const ints = new Int8Array(OC * D);
  const alphaOut = new Float32Array(OC);
  const scaleOut = new Float32Array(OC);
  const objective = new Float64Array(OC);
  const initialObjective = new Float64Array(OC);
  const channelSweeps = new Uint16Array(OC);
  const history: Float64Array[] | undefined = o.trace ? [] : undefined;
  let sweepsMax = 0;

  const qv = new Float64Array(D);
  const ci = new Int32Array(D); // index into cand
  const g = new Float64Array(D);
  const diag = new Float64Array(D);
  for (let k = 0; k < D; k++) diag[k] = gram[k * D + k];
  const unit = 2 ** -(L - 1);

  for (let c = 0; c < OC; c++) {
    const off = c * D;
    const yyc = yy[c];
    let maxAbs = 0;
    for (let k = 0; k < D; k++) maxAbs = Math.max(maxAbs, Math.abs(wInit[off + k]));
    const alpha0 = maxAbs > 0 ? maxAbs : 1;
    for (let k = 0; k < D; k++) {
      const x = wInit[off + k] / alpha0;
      let bi = L, bd = Infinity; // ties go to the first (most negative) candidate, deterministically
      for (let i = 0; i < nc; i++) {
        const d = Math.abs(x - cand[i]);
        if (d < bd) { bd = d; bi = i; }
      }
      ci[k] = bi;
      qv[k] = cand[bi];
    }
    initGq(gram, D, qv, g);
    let bq = dot(xy, off, qv, D);
    let qGq = dot(g, 0, qv, D);
    initialObjective[c] = objectiveAt(yyc, Math.fround(alpha0), bq, qGq);

    let alpha = alpha0;
    let J = objectiveAt(yyc, alpha, bq, qGq);
    const fit = (): void => {
      if (!(qGq > 0) || bq === 0) return;
      if (bq < 0) {
        // The level set is symmetric: index i <-> nc - 1 - i negates the value.
        for (let k = 0; k < D; k++) { qv[k] = -qv[k]; g[k] = -g[k]; ci[k] = nc - 1 - ci[k]; }
        bq = -bq;
      }
      alpha = bq / qGq;
      J = yyc - bq * alpha;
    };
    fit();
    const hist = history ? [J] : undefined;

    let sweeps = 0;
    while (sweeps < maxSweeps) {
      const a = alpha;
      const eps = (MOVE_EPS * yyc) / a;
      let changed = 0;
      for (let k = 0; k < D; k++) {
        const v0 = qv[k];
        const gk = 2 * (a * g[k] - xy[off + k]);
        const hk = a * diag[k];
        let best = -eps, bi = -1;
        for (let i = 0; i < nc; i++) {
          const d = cand[i] - v0;
          const v = d * gk + d * d * hk;
          if (v < best) { best = v; bi = i; }
        }
        if (bi >= 0) {
          const d = cand[bi] - v0;
          ci[k] = bi;
          qv[k] = cand[bi];
          addRow(gram, D, k, d, g);
          changed++;
        }
      }
      sweeps++;
      const prev = J;
      bq = dot(xy, off, qv, D);
      qGq = dot(g, 0, qv, D);
      J = objectiveAt(yyc, alpha, bq, qGq);
      fit();
      hist?.push(J);
      if (changed === 0 || prev - J <= tol * Math.abs(prev)) break;
    }

    const a32 = Math.fround(alpha);
    alphaOut[c] = a32;
    scaleOut[c] = Math.fround(a32 * unit);
    for (let k = 0; k < D; k++) {
      const code = candCode[ci[k]];
      codes[off + k] = code;
      const j = Math.abs(code);
      ints[off + k] = j === 0 ? 0 : Math.sign(code) * (1 << (L - j));
    }
    objective[c] = objectiveAt(yyc, a32, bq, qGq);
    channelSweeps[c] = sweeps;
    sweepsMax = Math.max(sweepsMax, sweeps);
    if (history && hist) history.push(Float64Array.from(hist));
  }
  return { codes, ints, alpha: alphaOut, scale: scaleOut, levels, sweeps: sweepsMax, channelSweeps, objective, initialObjective, ...(history ? { history } : {}) };
}
