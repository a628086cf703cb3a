// The network losses LAPQ minimizes, from a batch of logits (count x classes, row-major): cross-entropy
// against labels, or KL divergence from the float model's softmax. Sums in float64; the caller averages.

/** log(sum(exp(z))) of one row, shifted by its max for stability. */
function logSumExp(z: ArrayLike<number>, base: number, k: number): number {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, z[base + j]);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(z[base + j] - m);
  return m + Math.log(s);
}

/** Sum over rows of -log softmax(z)[label]; a NaN logit makes the sum Infinity. */
export function crossEntropySum(logits: ArrayLike<number>, classes: number, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const base = i * classes;
    const v = logSumExp(logits, base, classes) - logits[base + labels[i]];
    s += Number.isNaN(v) ? Infinity : v;
  }
  return s;
}

/** Row-wise log-softmax, as float64 (the float model's reference distribution). */
export function logSoftmax(logits: ArrayLike<number>, classes: number): Float64Array {
  const rows = logits.length / classes;
  const out = new Float64Array(logits.length);
  for (let i = 0; i < rows; i++) {
    const l = logSumExp(logits, i * classes, classes);
    for (let j = 0; j < classes; j++) out[i * classes + j] = logits[i * classes + j] - l;
  }
  return out;
}

/** Sum over rows of KL(P || Q), P given by its log-softmax `refLog`, Q = softmax(logits). */
export function klSum(refLog: Float64Array, logits: ArrayLike<number>, classes: number): number {
  const rows = refLog.length / classes;
  let s = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * classes;
    const l = logSumExp(logits, base, classes);
    let kl = 0;
    for (let j = 0; j < classes; j++) {
      const lp = refLog[base + j];
      if (lp === -Infinity) continue;
      kl += Math.exp(lp) * (lp - (logits[base + j] - l));
    }
    s += Number.isNaN(kl) ? Infinity : kl;
  }
  return s;
}
