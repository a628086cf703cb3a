// Pieces shared by the Bit-split and logarithmic solvers: both minimize, per output channel,
//   J(alpha, q) = yy - 2 alpha b.q + alpha^2 q.Gq          (b = X^T y / N, see gram.ts)
// by alternating the closed-form scale (Eq. 14 / 21) with coordinate descent over q. Both keep g = G q up to
// date, so evaluating a coordinate move is O(1) and applying it O(D) (one row of G, contiguous since G is
// symmetric): a sweep over D coordinates costs at most O(D^2) per channel, never the O(D^3) of re-solving.
// On synthetic layers of MobileNetV2's largest size (D = 960, OC = 320) only ~0.4 % (Bit-split, per bit) to
// ~3 % (log) of coordinates move per sweep, so the one dense product, the starting G q of every channel,
// dominated (0.6 s of 1 s in JS); it now runs as a float64 onnxruntime MatMul (gram.ts, ~30 ms).
import type { LayerProblem } from './gram.js';

/** Stop when a sweep lowers J by less than this fraction of J (or changes nothing). */
export const DEFAULT_TOL = 1e-6;
/**
 * Sweep cap. On synthetic post-ReLU layers Bit-split channels converge in 6-8 sweeps on average (a few need
 * 15-20); 4-bit log codes creep (each alpha refit shifts every level) and mostly stop at the cap, where the
 * remaining sweeps would gain < 0.1 % of J.
 */
export const DEFAULT_MAX_SWEEPS = 20;
/**
 * A move must lower J by more than this fraction of yy (the output energy): smaller "gains" are float
 * rounding of the incrementally maintained G q, and accepting them could make descent cycle.
 */
export const MOVE_EPS = 1e-13;

export interface SolveOptions {
  /** Sweeps of (coordinate descent over q, closed-form alpha); default DEFAULT_MAX_SWEEPS. */
  maxSweeps?: number;
  /** Relative objective change below which a channel has converged; default DEFAULT_TOL. */
  tol?: number;
  /** Record every channel's objective after initialization and after each sweep. */
  trace?: boolean;
}

export interface SolveStats {
  /** Most sweeps any channel took. */
  sweeps: number;
  /** Sweeps per channel. */
  channelSweeps: Uint16Array;
  /** Per-channel mean squared reconstruction error (1/N)||y - alpha X q||^2 at the returned float32 scale. */
  objective: Float64Array;
  /** The same error for the initial TF-Lite-style quantization (before any optimization). */
  initialObjective: Float64Array;
  /** When `trace` was asked: per channel, J after the initial scale fit and after every sweep. */
  history?: Float64Array[];
}

export function checkProblem(p: LayerProblem, wInit: Float32Array): void {
  if (wInit.length !== p.OC * p.D) throw new Error(`internal: ${wInit.length} weights for a problem with OC*D = ${p.OC}*${p.D}`);
  if (p.gram.length !== p.D * p.D || p.xy.length !== p.OC * p.D || p.yy.length !== p.OC) throw new Error('internal: inconsistent LayerProblem sizes');
}

export function resolveOptions(o: SolveOptions): { maxSweeps: number; tol: number } {
  const maxSweeps = o.maxSweeps ?? DEFAULT_MAX_SWEEPS;
  const tol = o.tol ?? DEFAULT_TOL;
  if (!(Number.isInteger(maxSweeps) && maxSweeps >= 0)) throw new Error(`internal: maxSweeps ${maxSweeps} must be a non-negative integer`);
  if (!(tol >= 0)) throw new Error(`internal: tol ${tol} must be >= 0`);
  return { maxSweeps, tol };
}

/** g += d * G[k, :] (G symmetric, so the row is column k). */
export function addRow(gram: Float64Array, D: number, k: number, d: number, g: Float64Array): void {
  const row = k * D;
  for (let j = 0; j < D; j++) g[j] += d * gram[row + j];
}

/** Negates a vector in place (folding a negative scale into q). */
export function negate(v: Float64Array | Int8Array): void {
  for (let i = 0; i < v.length; i++) v[i] = -v[i];
}

export function dot(a: Float64Array, aOff: number, b: Float64Array, D: number): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += a[aOff + i] * b[i];
  return s;
}

/** J at a given scale from b.q and q.Gq. */
export function objectiveAt(yy: number, alpha: number, bq: number, qGq: number): number {
  return yy - 2 * alpha * bq + alpha * alpha * qGq;
}
