// Spearman's rank correlation: how well the sensitivity proxy orders precision mixes by their measured accuracy
// drop. Ties share their mean rank, so equal predictions are not ordered by accident.

/** Ranks 1..n of the values, ties given the mean of the ranks they span. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
  const out = new Array<number>(values.length);
  for (let s = 0; s < order.length;) {
    let e = s;
    while (e + 1 < order.length && order[e + 1][0] === order[s][0]) e++;
    for (let k = s; k <= e; k++) out[order[k][1]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
}

/** The Pearson correlation of the ranks; null with fewer than 3 pairs or when either side is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new Error(`internal: ${x.length} and ${y.length} values to correlate`);
  if (x.length < 3) return null;
  const rx = ranks(x), ry = ranks(y);
  const mean = (r: number[]) => r.reduce((s, v) => s + v, 0) / r.length;
  const mx = mean(rx), my = mean(ry);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}
