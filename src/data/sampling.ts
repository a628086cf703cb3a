// Deterministic subsets, all driven by mulberry32 so the same seed picks the same images on every machine:
//   sample             without a seed the first N in the given (sorted) order; with one a Fisher-Yates shuffle, then
//                      the first N (calibration sets, and the subsets the reports pinned)
//   stratifiedSample   N images spread evenly over the classes, for accuracy: the first N of a class-sorted set
//                      would measure the first classes only
import { UserError } from '../errors.js';
import { mulberry32 } from '../random.js';

export interface SamplingOptions {
  limit?: number;
  seed?: number;
}

/** A shuffled copy; the input is left alone. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  return shuffleWith(items, mulberry32(seed));
}

/** A Fisher-Yates shuffled copy drawing from `next`, so several shuffles can share one seeded stream. */
export function shuffleWith<T>(items: readonly T[], next: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}

export function validateSampling(opts: SamplingOptions): void {
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new UserError(`invalid limit ${opts.limit}: it must be a positive integer`);
  }
  if (opts.seed !== undefined && (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff)) {
    throw new UserError(`invalid seed ${opts.seed}: it must be an integer from 0 to 4294967295`);
  }
}

/** Applies limit/seed to items that are already in their canonical sorted order. */
export function sample<T>(sorted: readonly T[], opts: SamplingOptions): T[] {
  validateSampling(opts);
  const order = opts.seed === undefined ? sorted.slice() : seededShuffle(sorted, opts.seed);
  return opts.limit === undefined ? order : order.slice(0, opts.limit);
}

/**
 * How many items each class contributes to a sample of `limit`: equal shares (limit / classes, the remainder
 * going one each to classes picked by `next`); a class with fewer items than its share gives all of them and the
 * rest is shared out among the others the same way. Sums to min(limit, total).
 */
export function classShares(counts: readonly number[], limit: number, next: () => number): number[] {
  const total = counts.reduce((a, c) => a + c, 0);
  if (limit >= total) return counts.slice();
  const shares = counts.map(() => 0);
  let open = counts.map((_, i) => i).filter((i) => counts[i] > 0);
  let remaining = limit;
  for (;;) {
    const base = Math.floor(remaining / open.length);
    const small = open.filter((i) => counts[i] <= base);
    if (small.length === 0) break;
    for (const i of small) {
      shares[i] = counts[i];
      remaining -= counts[i];
    }
    open = open.filter((i) => counts[i] > base);
  }
  // Every open class holds more than `base` items, so each can take one of the leftovers.
  const base = Math.floor(remaining / open.length);
  for (const i of open) shares[i] = base;
  for (const i of shuffleWith(open, next).slice(0, remaining - base * open.length)) shares[i]++;
  return shares;
}

/**
 * A seeded sample of `limit` items spread over the classes as classShares says, each class's items drawn at
 * random. The result comes in a seeded random order, so any prefix of it (the SQNR images of hwq compare) mixes
 * the classes too.
 */
export function stratifiedSample<T>(items: readonly T[], classOf: (item: T) => number, limit: number, seed: number): T[] {
  validateSampling({ limit, seed });
  const groups = new Map<number, T[]>();
  for (const it of items) {
    const c = classOf(it);
    const g = groups.get(c);
    if (g) g.push(it);
    else groups.set(c, [it]);
  }
  // Class order fixed by label, not by where a class first appears, so the draw depends only on the set.
  const classes = [...groups.keys()].sort((a, b) => a - b);
  const next = mulberry32(seed);
  const shares = classShares(classes.map((c) => groups.get(c)!.length), limit, next);
  const chosen = classes.flatMap((c, i) => shuffleWith(groups.get(c)!, next).slice(0, shares[i]));
  return shuffleWith(chosen, next);
}
