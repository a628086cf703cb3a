// Sweeps: every (network, config, array size, precision) point through one simulator model, and the
// speedup of each point over the same network and hardware at the first precision listed.
import { HwConfig, ConfigError } from '../hw/config.js';
import { Network, Precision } from '../src/model/ir.js';
import { PrecisionOptions, precisionLabel } from './precision.js';
import { NetworkSimResult } from './types.js';

export interface SweepPoint {
  model: string;
  config: string;
  rows: number;
  cols: number;
  precision: string;
  totalCycles: number;
  computeCycles: number;
  stallCycles: number;
  latencyMs: number;
  energyUJ: number;
  macs: number;
  gopsPerSecond: number;
  /** Over the first precision of the sweep, same model and hardware. */
  speedup: number;
  energyReduction: number;
}

export interface SweepSpec {
  networks: Network[];
  configs: HwConfig[];
  /** Array sizes to try on every config; empty = each config's own. */
  arrays: Array<[number, number]>;
  precisions: Precision[];
  batch: number;
  base: Omit<PrecisionOptions, 'uniform'>;
}

/** 'RxC' list -> pairs. */
export function parseArrays(text: string): Array<[number, number]> {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s);
    if (!m) throw new ConfigError(`array size '${s}' is not of the form <rows>x<cols> (e.g. 8x8,16x32)`);
    if (Number(m[1]) < 1 || Number(m[2]) < 1) throw new ConfigError(`array size '${s}': rows and columns must be at least 1`);
    return [Number(m[1]), Number(m[2])] as [number, number];
  });
}

export function sweepPointCount(s: SweepSpec): number {
  return s.networks.length * s.configs.length * Math.max(1, s.arrays.length) * s.precisions.length;
}

type Simulate = (net: Network, cfg: HwConfig, popts: PrecisionOptions) => NetworkSimResult;

export function runSweep(s: SweepSpec, simulate: Simulate, onPoint?: (done: number, total: number) => void): SweepPoint[] {
  const total = sweepPointCount(s);
  const steps = sweepSteps(s, simulate);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    onPoint?.(r.value, total);
  }
}

/** The sweep one point at a time: yields how many points are done, returns them all. */
export function* sweepSteps(s: SweepSpec, simulate: Simulate): Generator<number, SweepPoint[]> {
  const out: SweepPoint[] = [];
  for (const net of s.networks) {
    for (const cfg0 of s.configs) {
      const hws = s.arrays.length ? s.arrays.map(([rows, cols]) => ({ ...cfg0, rows, cols })) : [cfg0];
      for (const cfg of hws) {
        let first: NetworkSimResult | undefined;
        for (const p of s.precisions) {
          const r = simulate(net, cfg, { ...s.base, uniform: p });
          first ??= r;
          out.push({
            model: net.name,
            config: cfg0.name,
            rows: cfg.rows,
            cols: cfg.cols,
            precision: precisionLabel(p),
            totalCycles: r.totalCycles,
            computeCycles: r.computeCycles,
            stallCycles: r.stallCycles,
            latencyMs: r.latencyMs,
            energyUJ: r.energyUJ,
            macs: r.macs,
            gopsPerSecond: r.opsPerSecond / 1e9,
            speedup: first.totalCycles / r.totalCycles,
            energyReduction: first.energyUJ / r.energyUJ,
          });
          yield out.length;
        }
      }
    }
  }
  return out;
}
