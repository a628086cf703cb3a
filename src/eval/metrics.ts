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
}

export function emptyCounts(): AccuracyCounts {
  return { count: 0, top1: 0, top5: 0, perClass: new Map() };
}

/** Adds `labels.length` rows of logits to `acc` (mutates and returns it). */
export function addBatch(acc: AccuracyCounts, logits: ArrayLike<number>, numClasses: number, labels: ArrayLike<number>): AccuracyCounts {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    const rank = rankOfLabel(logits, i, numClasses, label);
    acc.count++;
    if (rank < 1) acc.top1++;
    if (rank < 5) acc.top5++;
    const pc = acc.perClass.get(label) ?? { total: 0, top1: 0 };
    pc.total++;
    if (rank < 1) pc.top1++;
    acc.perClass.set(label, pc);
  }
  return acc;
}
