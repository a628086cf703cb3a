// Sweeps: every (network, config, array size or --vary point, precision) point through one simulator model, and
// the speedup of each point over the same network and hardware at the first precision listed.
import { HwConfig, ConfigError, fieldValue } from '../hw/config.js';
import { Network, Precision } from '../src/model/ir.js';
import { PrecisionOptions, precisionLabel } from './precision.js';
import { NetworkSimResult } from './types.js';
import { applyPoint, parseVary, pointLabel, varyPoints } from './sweep-axes.js';

export interface SweepPoint {
  model: string;
  /** The config's name, followed by the varied fields' values with --vary: 'vc709 rows=16 cols=32'. */
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
  /** With --vary: each varied field's value in its base unit. */
  varied?: Record<string, number | boolean>;
}

export interface SweepSpec {
  networks: Network[];
  configs: HwConfig[];
  /** Array sizes to try on every config; empty = each config's own. */
  arrays: Array<[number, number]>;
  /** Config fields to vary ('rows=8,16', 'cols=2*rows', 'wbuf.bytes=64 KiB,256 KiB'): see sweep-axes.ts. */
  vary?: string[];
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

/** One design a sweep runs every network and precision on. */
export interface HardwarePoint {
  config: HwConfig;
  /** The config it derives from, with the varied fields' values: 'vc709 rows=16 cols=32'. */
  label: string;
  varied?: Record<string, number | boolean>;
}

/**
 * The designs of a sweep, in order: each config, times each array size, times each point of the --vary axes.
 * Every --vary point is validated here, so a bad value is refused before anything runs.
 */
export function sweepHardware(s: Pick<SweepSpec, 'configs' | 'arrays' | 'vary'>): HardwarePoint[] {
  const plan = s.vary?.length ? parseVary(s.vary) : undefined;
  const clash = plan?.order.find((f) => f === 'rows' || f === 'cols');
  if (clash && s.arrays.length) throw new ConfigError(`--arrays and --vary ${clash}=... both set ${clash}: give the array sizes one way`);
  const points = plan ? varyPoints(plan) : [];
  return s.configs.flatMap((cfg0) => {
    const sized = s.arrays.length ? s.arrays.map(([rows, cols]) => ({ ...cfg0, rows, cols })) : [cfg0];
    return sized.flatMap((cfg): HardwarePoint[] => {
      if (!plan) return [{ config: cfg, label: cfg0.name }];
      return points.map((p) => {
        const label = pointLabel(cfg0.name, p);
        const config = applyPoint(cfg, p, label);
        return { config, label, varied: Object.fromEntries(plan.order.map((f) => [f, fieldValue(config, f) as number | boolean])) };
      });
    });
  });
}

export function sweepPointCount(s: SweepSpec): number {
  return s.networks.length * sweepHardware(s).length * s.precisions.length;
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
  const hardware = sweepHardware(s);
  for (const net of s.networks) {
    for (const { config: cfg, label, varied } of hardware) {
      let first: NetworkSimResult | undefined;
      for (const p of s.precisions) {
        const r = simulate(net, cfg, { ...s.base, uniform: p });
        first ??= r;
        out.push({
          model: net.name,
          config: label,
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
          ...(varied ? { varied } : {}),
        });
        yield out.length;
      }
    }
  }
  return out;
}
