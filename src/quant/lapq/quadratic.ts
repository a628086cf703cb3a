// LAPQ's quadratic approximation step: a least-squares parabola through (p, L(p)) samples and its vertex.

export interface QuadraticFit {
  /** L(p) ~ a p^2 + b p + c. */
  a: number;
  b: number;
  c: number;
  /** The parabola opens upward, so its vertex is a minimum. */
  convex: boolean;
  /** The vertex clamped to the sampled range when convex, else the best sampled p. */
  pStar: number;
}

/** Solves the 3x3 normal equations of the least-squares parabola (needs >= 3 distinct p). */
export function fitQuadratic(ps: readonly number[], ls: readonly number[]): QuadraticFit {
  if (ps.length !== ls.length || new Set(ps).size < 3) throw new Error('quadratic fit needs at least 3 distinct sample points');
  // Centre p for conditioning: fit in q = p - m, then map back.
  const m = ps.reduce((s, p) => s + p, 0) / ps.length;
  const S = [0, 0, 0, 0, 0];
  const T = [0, 0, 0];
  ps.forEach((p, i) => {
    const q = p - m;
    for (let k = 0; k <= 4; k++) S[k] += q ** k;
    for (let k = 0; k <= 2; k++) T[k] += ls[i] * q ** k;
  });
  // [S4 S3 S2; S3 S2 S1; S2 S1 S0] [A B C]' = [T2 T1 T0]'
  const M = [[S[4], S[3], S[2], T[2]], [S[3], S[2], S[1], T[1]], [S[2], S[1], S[0], T[0]]];
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(M[r][col]) > Math.abs(M[piv][col])) piv = r;
    [M[col], M[piv]] = [M[piv], M[col]];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const k = M[r][col] / M[col][col];
      for (let j = col; j < 4; j++) M[r][j] -= k * M[col][j];
    }
  }
  const A = M[0][3] / M[0][0], B = M[1][3] / M[1][1], C = M[2][3] / M[2][2];
  // A q^2 + B q + C with q = p - m
  const a = A, b = B - 2 * A * m, c = A * m * m - B * m + C;
  const lo = Math.min(...ps), hi = Math.max(...ps);
  const convex = A > 0;
  let pStar: number;
  if (convex) pStar = Math.min(hi, Math.max(lo, m - B / (2 * A)));
  else pStar = ps[ls.indexOf(Math.min(...ls))];
  return { a, b, c, convex, pStar };
}
