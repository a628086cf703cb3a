// "Did you mean ...?" for a misspelled name: the valid name closest in edit distance, if any is close enough
// to be a likely typo rather than a different word.

/** Levenshtein distance, case-insensitive (a user typing clockMhz means clockMHz). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase(), y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

/**
 * The valid name nearest to `got`, when it is within a third of the longer name's length (at least 2 edits
 * allowed) and no other name is as near; undefined otherwise.
 */
export function nearestName(got: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  let tie = false;
  for (const v of valid) {
    const d = editDistance(got, v);
    if (d < bestD) [best, bestD, tie] = [v, d, false];
    else if (d === bestD) tie = true;
  }
  if (best === undefined || tie) return undefined;
  return bestD <= Math.max(2, Math.floor(Math.max(got.length, best.length) / 3)) ? best : undefined;
}
