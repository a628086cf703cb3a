// Activation statistics gathered on the calibration set: exact extremes and a deterministic strided
// subsample of the values, from which histograms for the clipping searches are built.
export interface ActStats {
  min: number;
  max: number;
  /** Values seen in total and the subsample kept. */
  count: number;
  sample: Float32Array;
  /** Mean of each channel (axis 1) when the tensors' dims were given. */
  channelMeans?: Float64Array;
  /** A strided subsample of each channel's values, when the collector was asked for them. */
  channelSamples?: Float32Array[];
}

/** Collects one tensor's statistics over batches, keeping at most `cap` values. */
export class ActStatsCollector {
  private min = Infinity;
  private max = -Infinity;
  private count = 0;
  private readonly kept: Float32Array[] = [];
  private keptCount = 0;
  private channelSums?: Float64Array;
  private channelCount = 0;
  private channelKept?: Float32Array[];
  private channelFill?: Uint32Array;

  /** `expectedBatches` spreads the sample evenly over the calibration set; `channelCap` > 0 also keeps up to
   *  that many values of each channel (needs the dims). */
  constructor(private readonly cap: number, private readonly expectedBatches: number, private readonly channelCap = 0) {}

  /** `dims` (N x C x ...) enables per-channel means. */
  add(values: Float32Array, dims?: readonly number[]): void {
    if (dims && dims.length >= 2) {
      const [n, c] = dims;
      const inner = values.length / (n * c);
      this.channelSums ??= new Float64Array(c);
      for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) {
        let s = 0;
        const o = (b * c + ch) * inner;
        for (let i = 0; i < inner; i++) s += values[o + i];
        this.channelSums[ch] += s;
      }
      this.channelCount += n * inner;
      if (this.channelCap > 0) this.keepChannels(values, n, c, inner);
    }
    let mn = this.min, mx = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    this.min = mn;
    this.max = mx;
    this.count += values.length;
    const want = Math.ceil(this.cap / Math.max(1, this.expectedBatches));
    const stride = Math.max(1, Math.floor(values.length / want));
    const room = this.cap - this.keptCount;
    const n = Math.min(room, Math.ceil(values.length / stride));
    if (n <= 0) return;
    const part = new Float32Array(n);
    // An odd offset keeps the stride from always landing on the same channel position.
    for (let i = 0, j = stride >> 1; i < n && j < values.length; i++, j += stride) part[i] = values[j];
    this.kept.push(part);
    this.keptCount += n;
  }

  private keepChannels(values: Float32Array, n: number, c: number, inner: number): void {
    this.channelKept ??= Array.from({ length: c }, () => new Float32Array(this.channelCap));
    this.channelFill ??= new Uint32Array(c);
    const want = Math.ceil(this.channelCap / Math.max(1, this.expectedBatches));
    const perChannel = n * inner;
    const stride = Math.max(1, Math.floor(perChannel / want));
    for (let ch = 0; ch < c; ch++) {
      const kept = this.channelKept[ch];
      let f = this.channelFill[ch];
      for (let j = stride >> 1; j < perChannel && f < this.channelCap; j += stride) kept[f++] = values[(Math.floor(j / inner) * c + ch) * inner + (j % inner)];
      this.channelFill[ch] = f;
    }
  }

  result(): ActStats {
    const sample = new Float32Array(this.keptCount);
    let o = 0;
    for (const p of this.kept) {
      sample.set(p, o);
      o += p.length;
    }
    const channelMeans = this.channelSums?.map((v) => v / this.channelCount);
    const channelSamples = this.channelKept?.map((k, ch) => k.slice(0, this.channelFill![ch]));
    return { min: this.min, max: this.max, count: this.count, sample, channelMeans, channelSamples };
  }
}

export interface Histogram {
  /** Bin i covers [i*width, (i+1)*width) of the magnitude axis. */
  counts: Float64Array;
  width: number;
}

/** Histogram of |x| (signed) or x clamped at 0 (unsigned) over [0, top]; `skipZeros` leaves out exact zeros
 *  (the ReLU spike), which every clip represents exactly. */
export function magnitudeHistogram(s: ActStats, signed: boolean, bins = 2048, skipZeros = false): Histogram {
  const top = signed ? Math.max(Math.abs(s.min), Math.abs(s.max)) : Math.max(s.max, 0);
  const counts = new Float64Array(bins);
  const width = top > 0 ? top / bins : 1;
  for (let i = 0; i < s.sample.length; i++) {
    const v = signed ? Math.abs(s.sample[i]) : Math.max(0, s.sample[i]);
    if (skipZeros && v === 0) continue;
    counts[Math.min(bins - 1, Math.floor(v / width))]++;
  }
  return { counts, width };
}

/**
 * Histogram of the magnitudes of every channel's sampled values, each value weighted by its channel's
 * `weight` (divided by the channel's sample size, so each channel counts by its weight, not its sample count).
 */
export function weightedChannelHistogram(samples: readonly Float32Array[], weight: ArrayLike<number>, signed: boolean, bins = 2048): Histogram {
  let top = 0;
  for (const v of samples) for (let i = 0; i < v.length; i++) top = Math.max(top, signed ? Math.abs(v[i]) : v[i]);
  const width = top > 0 ? top / bins : 1;
  const counts = new Float64Array(bins);
  samples.forEach((v, c) => {
    if (v.length === 0) return;
    const w = weight[c] / v.length;
    for (let i = 0; i < v.length; i++) {
      const m = signed ? Math.abs(v[i]) : Math.max(0, v[i]);
      counts[Math.min(bins - 1, Math.floor(m / width))] += w;
    }
  });
  return { counts, width };
}
