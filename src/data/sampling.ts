// Deterministic subsets: without a seed the first N in the given (sorted) order; with a seed a Fisher-Yates
// shuffle driven by mulberry32, then the first N, so the same seed picks the same images on every machine.
import { UserError } from '../errors.js';

export interface SamplingOptions {
  limit?: number;
  seed?: number;
}

/** An integer in lo..hi (inclusive) from a generator of [0, 1) numbers. */
export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** mulberry32: tiny, fast, and identical across platforms (only 32-bit integer ops). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shuffled copy; the input is left alone. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const next = mulberry32(seed);
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
