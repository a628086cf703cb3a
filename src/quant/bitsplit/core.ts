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

export interface ChannelProblem {
  /** This channel's yy, the problem's b (all channels) and this channel's offset into it. */
  yy: number;
  xy: Float64Array;
  off: number;
  /** The channel's current q and g = G q (updated in place by the solver's sweeps). */
  qv: Float64Array;
  g: Float64Array;
  D: number;
  /** Starting scale (kept while q carries no signal). */
  alpha: number;
}

export interface ChannelRun {
  /** Float32 scale and J at it. */
  alpha: number;
  objective: number;
  /** J at the starting scale and q, before any fit. */
  initialObjective: number;
  sweeps: number;
  /** J after the first fit and after every sweep (when traced). */
  history?: Float64Array;
}

/**
 * The alternation both solvers share, for one channel: fit alpha in closed form (Eq. 14 / 21, alpha = b.q /
 * q.Gq; a negative fit is folded into q, which `flip` mirrors in the solver's own representation), stop when
 * the last sweep changed nothing, gained less than tol * J, or the cap is reached; otherwise run one sweep of
 * the solver's coordinate descent at the current scale. `sweep(alpha, eps)` returns how many coordinates
 * moved; a move must lower J by more than eps (MOVE_EPS of yy, in J / alpha units).
 */
export function alternate(p: ChannelProblem, o: { tol: number; maxSweeps: number; trace: boolean }, flip: () => void, sweep: (alpha: number, eps: number) => number): ChannelRun {
  const { yy, xy, off, qv, g, D } = p;
  let alpha = p.alpha;
  const initialObjective = objectiveAt(yy, Math.fround(alpha), dot(xy, off, qv, D), dot(g, 0, qv, D));
  const hist: number[] | undefined = o.trace ? [] : undefined;
  let sweeps = 0, changed = 0, prev = Infinity, J = 0, bq = 0, qGq = 0;
  for (;;) {
    // Closed-form scale; the current one stays when q carries no signal (all zero, or b.q = 0).
    bq = dot(xy, off, qv, D);
    qGq = dot(g, 0, qv, D);
    if (qGq > 0 && bq !== 0) {
      if (bq < 0) {
        negate(qv);
        negate(g);
        flip();
        bq = -bq;
      }
      alpha = bq / qGq;
      J = yy - bq * alpha;
    } else {
      J = objectiveAt(yy, alpha, bq, qGq);
    }
    hist?.push(J);
    if (sweeps > 0 && (changed === 0 || prev - J <= o.tol * Math.abs(prev))) break;
    if (sweeps === o.maxSweeps) break;
    prev = J;
    changed = sweep(alpha, (MOVE_EPS * yy) / alpha);
    sweeps++;
  }
  const a32 = Math.fround(alpha);
  return { alpha: a32, objective: objectiveAt(yy, a32, bq, qGq), initialObjective, sweeps, ...(hist ? { history: Float64Array.from(hist) } : {}) };
}

/** Per-channel statistics of a layer solve, filled channel by channel by `record`. */
export function channelStats(OC: number, trace: boolean): { stats: SolveStats; record(c: number, r: ChannelRun): void } {
  const stats: SolveStats = {
    sweeps: 0,
    channelSweeps: new Uint16Array(OC),
    objective: new Float64Array(OC),
    initialObjective: new Float64Array(OC),
    ...(trace ? { history: [] as Float64Array[] } : {}),
  };
  return {
    stats,
    record(c, r) {
      stats.channelSweeps[c] = r.sweeps;
      stats.objective[c] = r.objective;
      stats.initialObjective[c] = r.initialObjective;
      stats.sweeps = Math.max(stats.sweeps, r.sweeps);
      if (stats.history && r.history) stats.history.push(r.history);
    },
  };
}
