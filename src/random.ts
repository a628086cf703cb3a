// The project's seeded random numbers: data sampling, quantizer experiments and the RTL test vectors all draw
// from mulberry32, so a seed means the same numbers on every machine.

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

/** An integer in lo..hi (inclusive) from a generator of [0, 1) numbers. */
export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}
