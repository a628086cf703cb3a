// The small dense linear algebra a least-squares fit of a handful of parameters needs: normal equations, a
// linear solve, and a rank-revealing QR with column pivoting. Matrices are arrays of rows.

export type Matrix = number[][];

export function transposeTimes(a: Matrix, b: Matrix): Matrix {
  const n = a[0]?.length ?? 0, k = b[0]?.length ?? 0;
  const out: Matrix = Array.from({ length: n }, () => new Array<number>(k).fill(0));
  for (let r = 0; r < a.length; r++) for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[i][j] += a[r][i] * b[r][j];
  return out;
}

export function transposeTimesVector(a: Matrix, v: number[]): number[] {
  const n = a[0]?.length ?? 0;
  const out = new Array<number>(n).fill(0);
  for (let r = 0; r < a.length; r++) for (let i = 0; i < n; i++) out[i] += a[r][i] * v[r];
  return out;
}

/** Solves a x = b by Gaussian elimination with partial pivoting; undefined when a is singular. */
export function solve(a: Matrix, b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  const scale = Math.max(1e-300, ...a.flat().map(Math.abs));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) <= 1e-14 * scale) return undefined;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/** The inverse of a square matrix, or undefined when it is singular. */
export function inverse(a: Matrix): Matrix | undefined {
  const n = a.length;
  const cols: number[][] = [];
  for (let j = 0; j < n; j++) {
    const c = solve(a, Array.from({ length: n }, (_, i) => (i === j ? 1 : 0)));
    if (!c) return undefined;
    cols.push(c);
  }
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i]));
}

export interface PivotedRank {
  /** Column indices in pivot order, the first `rank` of them independent. */
  order: number[];
  rank: number;
  /** Per column: its norm left after removing the span of the columns pivoted before it, over its own norm. */
  residualNorm: number[];
}

/**
 * Householder QR with column pivoting on the columns scaled to unit norm, so the rank does not depend on the
 * parameters' units. A column is independent while its norm outside the span of the ones chosen before it is
 * above `tol`; among columns within 1e-9 of the largest, the one listed first is chosen (with one row every
 * column ties, and the caller's order decides).
 */
export function pivotedRank(a: Matrix, tol: number): PivotedRank {
  const m = a.length, n = a[0]?.length ?? 0;
  const norms = Array.from({ length: n }, (_, j) => Math.hypot(...a.map((r) => r[j])));
  const w: Matrix = a.map((r) => r.map((v, j) => (norms[j] > 0 ? v / norms[j] : 0)));
  const order = Array.from({ length: n }, (_, j) => j);
  const residualNorm = new Array<number>(n).fill(0);
  let rank = 0;
  for (let k = 0; k < Math.min(m, n); k++) {
    const rest = (j: number) => Math.hypot(...w.slice(k).map((r) => r[order[j]]));
    let best = k;
    let bestNorm = rest(k);
    for (let j = k + 1; j < n; j++) {
      const v = rest(j);
      if (v > bestNorm * (1 + 1e-9) + 1e-15) [best, bestNorm] = [j, v];
    }
    if (bestNorm <= tol) break;
    // keep the unchosen columns in their given order, so ties keep going to the earlier one
    const chosen = order.splice(best, 1)[0];
    order.splice(k, 0, chosen);
    residualNorm[chosen] = bestNorm;
    // Householder reflection zeroing column `chosen` below row k
    const x = w.slice(k).map((r) => r[chosen]);
    const alpha = -Math.sign(x[0] || 1) * bestNorm;
    const v = x.slice();
    v[0] -= alpha;
    const vv = v.reduce((s, t) => s + t * t, 0);
    if (vv > 0) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let i = 0; i < v.length; i++) dot += v[i] * w[k + i][j];
        const f = (2 * dot) / vv;
        for (let i = 0; i < v.length; i++) w[k + i][j] -= f * v[i];
      }
    }
    rank++;
  }
  for (let k = rank; k < n; k++) residualNorm[order[k]] = Math.hypot(...w.slice(rank).map((r) => r[order[k]]));
  return { order, rank, residualNorm };
}
