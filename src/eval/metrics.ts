// Top-k accuracy counting from logits. Ties break toward the lower class index (what argmax does), and a NaN
// logit for the true class counts as wrong, so a broken model cannot score by accident.

/** How many classes rank above `label` in row `row` of a count x numClasses logits matrix. */
export function rankOfLabel(logits: ArrayLike<number>, row: number, numClasses: number, label: number): number {
  const base = row * numClasses;
  const target = logits[base + label];
  if (Number.isNaN(target)) return numClasses;
  let rank = 0;
  for (let j = 0; j < numClasses; j++) {
    const v = logits[base + j];
    if (v > target || (v === target && j < label)) rank++;
  }
  return rank;
}

export interface ClassAccuracy {
  total: number;
  top1: number;
}

export interface AccuracyCounts {
  count: number;
  top1: number;
  top5: number;
  /** Indexed by class label; only classes that occurred. */
  perClass: Map<number, ClassAccuracy>;
  /** When asked for (emptyCounts(true)): per image in evaluation order, 1 if its top-1 class was right. */
  top1Hits?: number[];
}

export function emptyCounts(keepHits = false): AccuracyCounts {
  return { count: 0, top1: 0, top5: 0, perClass: new Map(), ...(keepHits ? { top1Hits: [] } : {}) };
}

/** Adds `labels.length` rows of logits to `acc` (mutates and returns it). */
export function addBatch(acc: AccuracyCounts, logits: ArrayLike<number>, numClasses: number, labels: ArrayLike<number>): AccuracyCounts {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    const rank = rankOfLabel(logits, i, numClasses, label);
    acc.count++;
    if (rank < 1) acc.top1++;
    if (rank < 5) acc.top5++;
    acc.top1Hits?.push(rank < 1 ? 1 : 0);
    const pc = acc.perClass.get(label) ?? { total: 0, top1: 0 };
    pc.total++;
    if (rank < 1) pc.top1++;
    acc.perClass.set(label, pc);
  }
  return acc;
}

/** Two models' top-1 on the same images: where they differ, and the paired standard error of a - b. */
export interface PairedTop1 {
  /** Images only model a classifies right. */
  onlyA: number;
  /** Images only model b classifies right. */
  onlyB: number;
  images: number;
  /** Standard error of top1(a) - top1(b) in percentage points: the per-image differences d in {-1, 0, 1}
   *  have variance (onlyA + onlyB) / n - ((onlyA - onlyB) / n)^2, and the mean of n of them that over n. */
  seTop1: number;
}

export function pairedTop1(a: ArrayLike<number>, b: ArrayLike<number>): PairedTop1 {
  if (a.length !== b.length) throw new Error(`internal: ${a.length} and ${b.length} per-image results`);
  const n = a.length;
  let onlyA = 0, onlyB = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] && !b[i]) onlyA++;
    else if (b[i] && !a[i]) onlyB++;
  }
  const variance = n > 0 ? (onlyA + onlyB) / n - ((onlyA - onlyB) / n) ** 2 : 0;
  return { onlyA, onlyB, images: n, seTop1: n > 0 ? (100 * Math.sqrt(variance)) / Math.sqrt(n) : 0 };
}
