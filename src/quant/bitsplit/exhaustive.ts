// The exact optimum of min_{alpha, q} J(alpha, q) by enumerating every q in values^D (alpha in closed form for
// each): the reference the coordinate-descent solvers are checked against. Only for tiny D (|values|^D points).
import type { LayerProblem } from './gram.js';

export interface ExactOptimum {
  objective: number;
  alpha: number;
  q: Float64Array;
}

const LIMIT = 5_000_000;

/** Channel c's exact optimum over q in values^D with alpha > 0 (q = 0 gives J = yy). */
export function exhaustiveSolve(p: LayerProblem, c: number, values: readonly number[]): ExactOptimum {
  const { D, gram, xy, yy } = p;
  const V = values.length;
  const total = V ** D;
  if (total > LIMIT) throw new Error(`internal: exhaustive search over ${V}^${D} points is too large`);
  const q = new Float64Array(D);
  const best: ExactOptimum = { objective: yy[c], alpha: 0, q: new Float64Array(D) };
  for (let idx = 0; idx < total; idx++) {
    let t = idx;
    for (let k = 0; k < D; k++) {
      q[k] = values[t % V];
      t = Math.floor(t / V);
    }
    let bq = 0, qGq = 0;
    for (let i = 0; i < D; i++) {
      if (q[i] === 0) continue;
      bq += xy[c * D + i] * q[i];
      let s = 0;
      for (let j = 0; j < D; j++) s += gram[i * D + j] * q[j];
      qGq += q[i] * s;
    }
    if (!(qGq > 0) || !(bq > 0)) continue;
    const J = yy[c] - (bq * bq) / qGq;
    if (J < best.objective) {
      best.objective = J;
      best.alpha = bq / qGq;
      best.q.set(q);
    }
  }
  return best;
}
